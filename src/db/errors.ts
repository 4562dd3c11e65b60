/**
 * What a database failure means for the caller: `unavailable` (the server is down,
 * restarting or unreachable: retry later) or `bad_input` (Postgres refused a value the
 * caller sent, e.g. a NUL byte in a text column). Anything else is a bug (undefined).
 */
export type DatabaseFailure = 'unavailable' | 'bad_input';

/** Node socket errors of a lost or refused database connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);
/**
 * Prisma's connectivity codes (can't reach, timed out, closed, pool timeout, and P2028: no
 * pooled connection for a transaction in time, e.g. the provider-call pool is full).
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
/** Driver adapter kinds of a lost connection. */
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** pg-driver messages that carry no code. */
const LOST_CONNECTION =
  /Connection terminated|connection error and is not queryable|Client was closed|Can't reach database server|Server has closed the connection/i;

const sqlStateFailure = (state: string): DatabaseFailure | undefined => {
  // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now.
  if (state.startsWith('08') || /^57P0[1-3]$/.test(state)) return 'unavailable';
  // 22021: invalid byte sequence (NUL); 22P05: untranslatable character; 54000: too long.
  if (state === '22021' || state === '22P05' || state === '54000') return 'bad_input';
  return undefined;
};

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
}

/**
 * Classifies a database error from Prisma, its pg driver adapter or raw `pg`, walking
 * the `cause` chain.
 *
 * @example
 * if (classifyDatabaseError(error) === 'unavailable') throw upstreamUnavailable('database unavailable');
 */
export function classifyDatabaseError(error: unknown, depth = 0): DatabaseFailure | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const adapter = e.meta?.driverAdapterError?.cause;
  if (SOCKET_CODES.has(code) || PRISMA_UNAVAILABLE.has(code)) return 'unavailable';
  if (typeof adapter?.kind === 'string' && ADAPTER_UNAVAILABLE.has(adapter.kind)) {
    return 'unavailable';
  }
  const state = typeof adapter?.originalCode === 'string' ? adapter.originalCode : code;
  const fromState = /^[0-9A-Z]{5}$/.test(state) ? sqlStateFailure(state) : undefined;
  if (fromState) return fromState;
  const message = typeof e.message === 'string' ? e.message : '';
  // Prisma's raw-query errors only carry the SQLSTATE in the message ("Code: `22021`").
  const quoted = /Code: `([0-9A-Z]{5})`/.exec(message)?.[1];
  if (quoted && sqlStateFailure(quoted)) return sqlStateFailure(quoted);
  if (LOST_CONNECTION.test(message)) return 'unavailable';
  return classifyDatabaseError(e.cause, depth + 1);
}

import { classifyDatabaseError } from '../db/errors.js';

/** Every error code of the HTTP contract (API.md), plus RFC 6749 token endpoint codes. */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'reauthorization_required'
  | 'conflict'
  | 'revoked'
  | 'payload_too_large'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_target'
  | 'access_denied'
  | 'server_error';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  not_found: 404,
  method_not_allowed: 405,
  reauthorization_required: 409,
  conflict: 409,
  revoked: 410,
  payload_too_large: 413,
  rate_limited: 429,
  upstream_unavailable: 503,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_target: 400,
  access_denied: 403,
  server_error: 500,
};

export interface BrokerErrorOptions {
  status?: number;
  cause?: unknown;
  /** Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
  /** Extra body fields beside `error` and `error_description` (never a secret). */
  details?: Record<string, string>;
}

/**
 * The one error type of the broker. `expose` is true for client errors: their
 * description reaches the caller; anything else is answered as `server_error`.
 *
 * @example
 * throw new BrokerError('not_found', 'no such connection');
 */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Record<string, string>;
  readonly details: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    description: string,
    options: BrokerErrorOptions = {},
  ) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? STATUS[code];
    this.expose = this.status < 500 || code === 'upstream_unavailable';
    this.headers = options.headers ?? {};
    this.details = options.details ?? {};
  }
}

/** @example throw invalidRequest('limit must be between 1 and 100') */
export const invalidRequest = (description: string, cause?: unknown) =>
  new BrokerError('invalid_request', description, { cause });

/** @example throw invalidToken('unknown API key') */
export const invalidToken = (description: string) =>
  new BrokerError('invalid_token', description, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token"` },
  });

/** @example throw notFound('connection') */
export const notFound = (what: string) => new BrokerError('not_found', `${what} not found`);

/** @example throw insufficientScope('this service may not use provider "github"') */
export const insufficientScope = (description: string) =>
  new BrokerError('insufficient_scope', description);

/** @example throw conflict('provider "github" already exists') */
export const conflict = (description: string) => new BrokerError('conflict', description);

/** @example throw methodNotAllowed(['GET', 'POST']) */
export const methodNotAllowed = (allow: readonly string[]) =>
  new BrokerError('method_not_allowed', 'method not allowed on this path', {
    headers: { Allow: allow.join(', ') },
  });

/** @example throw rateLimited(12) */
export const rateLimited = (retryAfterSeconds: number) =>
  new BrokerError('rate_limited', 'too many requests', {
    headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

/** @example throw upstreamUnavailable('provider did not answer', { retryAfterSeconds: 5, status: 503 }) */
export const upstreamUnavailable = (
  description: string,
  options: {
    retryAfterSeconds?: number | undefined;
    status?: 502 | 503 | 504;
    cause?: unknown;
  } = {},
) =>
  new BrokerError('upstream_unavailable', description, {
    status: options.status ?? 503,
    cause: options.cause,
    headers:
      options.retryAfterSeconds === undefined
        ? {}
        : { 'Retry-After': String(Math.max(1, Math.ceil(options.retryAfterSeconds))) },
  });

/** Seconds a caller should wait before retrying while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * Narrows anything thrown to a BrokerError. A lost database is 503 `upstream_unavailable`
 * with `Retry-After` (a restart must not look like a bug); a value Postgres cannot store
 * (a NUL byte) is 400; anything else becomes an unexposed `server_error`.
 */
export function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  const database = classifyDatabaseError(error);
  if (database === 'unavailable') {
    return upstreamUnavailable('the database is unavailable; retry later', {
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  if (database === 'bad_input') {
    return invalidRequest('a value contains characters that cannot be stored', error);
  }
  return new BrokerError('server_error', 'internal error', { cause: error });
}

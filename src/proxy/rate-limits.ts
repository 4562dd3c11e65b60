import type pg from 'pg';
import type { ChangeFeed } from '../cache/change-feed.js';
import type { Clock } from '../clock.js';
import { BATCH, deleteInBatches } from '../db/housekeeping.js';
import type { Logger } from '../observability/logger.js';
import { parseRetryAfter } from '../providers/upstream-errors.js';

/** A provider's word on its quota is believed for a day at most (a bad header must not block forever). */
const MAX_BLOCK_MS = 24 * 3600 * 1000;
/** Below this an `X-RateLimit-Reset` is a number of seconds, above it an epoch (GitHub's). */
const EPOCH_THRESHOLD = 1_000_000_000;
const MAX_REMEMBERED = 10_000;
const CHANNEL = 'token_broker_proxy_rate_limit';

type Headers = Record<string, string | string[] | undefined>;
const first = (h: Headers, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
const whole = (v: string | undefined) =>
  v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;

/** The IETF draft's `RateLimit` field: `limit=10, remaining=0, reset=30` or `"p";r=0;t=30`. */
function ietfReset(value: string | undefined): number | undefined {
  if (!value) return undefined;
  for (const item of value.split(/,(?=\s*"?[A-Za-z])/)) {
    const params = new Map(
      [...item.matchAll(/([A-Za-z]+)=("?[\w.-]+"?)/g)].map((m) => [m[1]!.toLowerCase(), m[2]!]),
    );
    const remaining = whole(params.get('r') ?? params.get('remaining'));
    const reset = whole(params.get('t') ?? params.get('reset'));
    if (remaining === 0 && reset !== undefined) return reset;
  }
  return undefined;
}

/**
 * When the provider said the quota is spent, from one response: a 429 with `Retry-After`
 * (seconds or HTTP date), `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (epoch
 * seconds as GitHub sends it, or seconds from now), or the IETF `RateLimit` fields
 * (`RateLimit-Remaining: 0` + `RateLimit-Reset`, or `RateLimit` with `r=0;t=…`).
 *
 * @returns epoch milliseconds until which calls would be refused; undefined: no such signal.
 * @example quotaSpentUntil(429, { 'retry-after': '30' }, Date.now())
 */
export function quotaSpentUntil(status: number, headers: Headers, now: number): number | undefined {
  let until: number | undefined;
  if (status === 429) {
    const seconds = parseRetryAfter(first(headers, 'retry-after'), now);
    if (seconds !== undefined) until = now + seconds * 1000;
  }
  if (until === undefined && whole(first(headers, 'x-ratelimit-remaining')) === 0) {
    const reset = whole(first(headers, 'x-ratelimit-reset'));
    if (reset !== undefined) until = reset >= EPOCH_THRESHOLD ? reset * 1000 : now + reset * 1000;
  }
  if (until === undefined) {
    const reset =
      whole(first(headers, 'ratelimit-remaining')) === 0
        ? whole(first(headers, 'ratelimit-reset'))
        : ietfReset(first(headers, 'ratelimit'));
    if (reset !== undefined) until = now + reset * 1000;
  }
  if (until === undefined || until <= now) return undefined;
  return Math.min(until, now + MAX_BLOCK_MS);
}

/**
 * The proxy's rate-limit memory, the same on every replica: each block is written to
 * `proxy_rate_limits`, whose trigger announces it on the change feed; every replica keeps
 * the blocks it heard of in memory, and asks the table itself while the feed is not
 * fresh (so a lost feed costs a query, never a doomed call).
 *
 * @example
 * const limits = createRateMemory({ pool, changes, clock, logger });
 * const wait = await limits.blockedFor('c:conn_…'); // seconds, or undefined
 */
export function createRateMemory(deps: {
  pool: pg.Pool;
  changes: ChangeFeed;
  clock: Clock;
  logger: Logger;
}) {
  const blocked = new Map<string, number>();

  const remember = (scope: string, until: number) => {
    if (blocked.size >= MAX_REMEMBERED) {
      const now = deps.clock.now().getTime();
      for (const [key, at] of blocked) if (at <= now) blocked.delete(key);
    }
    if (until > (blocked.get(scope) ?? 0)) blocked.set(scope, until);
  };

  async function stored(scope: string): Promise<number | undefined> {
    const { rows } = await deps.pool.query<{ blocked_until: Date }>({
      name: 'proxy-rate-limit',
      text: 'SELECT blocked_until FROM proxy_rate_limits WHERE scope = $1',
      values: [scope],
    });
    return rows[0]?.blocked_until.getTime();
  }

  deps.changes.on(CHANNEL, (scope) => {
    stored(scope).then(
      (until) => until !== undefined && remember(scope, until),
      (error: unknown) =>
        deps.logger.warn({ err: (error as Error).message }, 'rate-limit memory read failed'),
    );
  });
  deps.changes.onReset(() => blocked.clear());

  return {
    /** Seconds until `scope` may call the provider again; undefined when it may now. */
    async blockedFor(scope: string): Promise<number | undefined> {
      const now = deps.clock.now().getTime();
      const until = deps.changes.fresh() ? blocked.get(scope) : await stored(scope);
      if (until === undefined || until <= now) {
        blocked.delete(scope);
        return undefined;
      }
      return (until - now) / 1000;
    },

    /** Remembers that `scope` must not call before `until` (epoch ms), here at once and everywhere soon. */
    record(scope: string, providerKey: string, until: number): void {
      remember(scope, until);
      deps.pool
        .query(
          `INSERT INTO proxy_rate_limits (scope, provider_key, blocked_until, updated_at)
           VALUES ($1, $2, $3, now())
           ON CONFLICT (scope) DO UPDATE
             SET blocked_until = GREATEST(proxy_rate_limits.blocked_until, EXCLUDED.blocked_until),
                 updated_at = now()`,
          [scope, providerKey, new Date(until)],
        )
        .catch((error: unknown) =>
          deps.logger.warn({ err: (error as Error).message }, 'rate-limit memory write failed'),
        );
    },
  };
}

export type RateMemory = ReturnType<typeof createRateMemory>;

/**
 * A block past its reset is kept this long: a replica whose clock runs behind still finds
 * it while its change feed is down (an hour is far beyond any clock skew; rows are tiny).
 */
export const RATE_LIMIT_GRACE_MS = 60 * 60 * 1000;

/**
 * Deletes, in batches, the rate-limit memory's rows whose block ended more than
 * {@link RATE_LIMIT_GRACE_MS} ago: every replica already ignores them, and a table keyed
 * by connection would otherwise grow with every connection that ever hit a quota.
 *
 * @returns the rows deleted.
 * @example const pruned = await pruneRateLimits({ pool, clock });
 */
export function pruneRateLimits(deps: { pool: pg.Pool; clock: Clock }): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - RATE_LIMIT_GRACE_MS);
  return deleteInBatches(
    deps.pool,
    `DELETE FROM proxy_rate_limits WHERE scope IN (
       SELECT scope FROM proxy_rate_limits WHERE blocked_until < $1 LIMIT ${BATCH})`,
    [cutoff],
  );
}

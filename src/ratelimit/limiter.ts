import type pg from 'pg';
import type { Clock } from '../clock.js';

/** Every limit counts hits in fixed windows of this length. */
export const WINDOW_SECONDS = 60;
/** Buckets older than this are deleted (at most once a window per replica). */
const STALE_AFTER_MS = 10 * WINDOW_SECONDS * 1000;

export interface RateDecision {
  allowed: boolean;
  /** Hits counted in the current window, this one included. */
  count: number;
  /** Seconds until the window ends (what `Retry-After` says). */
  retryAfterSeconds: number;
}

/** Fixed-window counters shared by every replica through `rate_limit_buckets`. */
export interface RateLimiter {
  /**
   * Counts one hit against `key` and says whether it is within `perWindow`.
   *
   * @example
   * const d = await limiter.hit('token:ip:10.0.0.1', 600);
   * if (!d.allowed) throw rateLimited(d.retryAfterSeconds);
   */
  hit(key: string, perWindow: number): Promise<RateDecision>;
}

/**
 * One upsert per hit: a newer window (by any replica's clock) restarts the count, the
 * same or an older one adds to it, so replicas a few seconds apart still share a bucket.
 */
const HIT = `
INSERT INTO rate_limit_buckets (key, window_start, count) VALUES ($1, $2, 1)
ON CONFLICT (key) DO UPDATE SET
  count = CASE WHEN EXCLUDED.window_start > rate_limit_buckets.window_start
               THEN 1 ELSE rate_limit_buckets.count + 1 END,
  window_start = GREATEST(EXCLUDED.window_start, rate_limit_buckets.window_start)
RETURNING count, window_start`;

/**
 * Builds the Postgres-backed limiter.
 *
 * @example
 * const limiter = createRateLimiter({ pool, clock });
 */
export function createRateLimiter(deps: { pool: pg.Pool; clock: Clock }): RateLimiter {
  let lastSweep = 0;
  const sweep = (now: number) => {
    if (now - lastSweep < WINDOW_SECONDS * 1000) return;
    lastSweep = now;
    // Best effort: a failed sweep only leaves rows for the next one.
    deps.pool
      .query('DELETE FROM rate_limit_buckets WHERE window_start < $1', [
        new Date(now - STALE_AFTER_MS),
      ])
      .catch(() => undefined);
  };
  return {
    async hit(key, perWindow) {
      const now = deps.clock.now().getTime();
      const windowMs = WINDOW_SECONDS * 1000;
      const start = new Date(now - (now % windowMs));
      const { rows } = await deps.pool.query<{ count: number; window_start: Date }>(HIT, [
        key,
        start,
      ]);
      sweep(now);
      const row = rows[0] as { count: number; window_start: Date };
      const ends = row.window_start.getTime() + windowMs;
      return {
        allowed: row.count <= perWindow,
        count: row.count,
        retryAfterSeconds: Math.max(1, Math.ceil((ends - now) / 1000)),
      };
    },
  };
}

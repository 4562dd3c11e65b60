import type { Clock } from '../clock.js';
import type { RateLimiter } from './limiter.js';

/** Blocked keys kept in memory before expired ones are swept (bounds memory under attack). */
const MAX_BLOCKED = 10_000;

/**
 * Failed authentication, limited per client IP and per credential id. Failures are
 * counted in Postgres (shared by replicas); the check before authenticating is a local
 * map lookup, so a successful request (the token read path) costs no database round trip.
 * A replica learns of a block on its next counted failure: across N replicas an attacker
 * gets at most `limit + N - 1` failures a window.
 */
export interface AuthFailureGuard {
  /** Seconds the caller must wait when any of `keys` is blocked, else undefined. No I/O. */
  blockedFor(keys: readonly string[]): number | undefined;
  /** Whether anyone may be blocked now; when not, a request need not work out its keys. */
  blocking(): boolean;
  /** Counts one failure against each key; blocks the keys that went over the limit. */
  record(keys: readonly string[]): Promise<void>;
}

/**
 * @example
 * const guard = createAuthFailureGuard({ limiter, clock, perMinute: 30 });
 * if (guard.blockedFor(['ip:10.0.0.1'])) throw rateLimited(...);
 */
export function createAuthFailureGuard(deps: {
  limiter: RateLimiter;
  clock: Clock;
  perMinute: number;
}): AuthFailureGuard {
  const blockedUntil = new Map<string, number>();
  const purgeExpired = () => {
    const now = deps.clock.now().getTime();
    for (const [key, until] of blockedUntil) if (until <= now) blockedUntil.delete(key);
  };
  const blocking = () => deps.perMinute > 0 && blockedUntil.size > 0;
  return {
    blocking,
    blockedFor(keys) {
      if (!blocking()) return undefined;
      const now = deps.clock.now().getTime();
      let wait = 0;
      for (const key of keys) {
        const until = blockedUntil.get(key);
        if (until === undefined) continue;
        if (until <= now) blockedUntil.delete(key);
        else wait = Math.max(wait, until - now);
      }
      return wait > 0 ? Math.ceil(wait / 1000) : undefined;
    },
    async record(keys) {
      if (deps.perMinute === 0) return;
      if (blockedUntil.size > MAX_BLOCKED) purgeExpired();
      for (const key of keys) {
        const d = await deps.limiter.hit(`auth-failure:${key}`, deps.perMinute);
        if (!d.allowed) {
          blockedUntil.set(key, deps.clock.now().getTime() + d.retryAfterSeconds * 1000);
        }
      }
    },
  };
}

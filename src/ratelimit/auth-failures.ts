import type { Clock } from '../clock.js';
import type { RateLimiter } from './limiter.js';

/** Blocked IPs kept in memory before expired ones are swept (bounds memory under attack). */
const MAX_BLOCKED = 10_000;

/** What one failed authentication is counted against. */
export interface AuthFailureKeys {
  /** `ip:<client IP>`: blocked once over the limit, before any credential is looked at. */
  ip: string;
  /**
   * The presented credential's id (an API key's key id, a client id) or a fingerprint of
   * the whole presented value. Never blocked: past the limit only its *failures* are
   * answered 429, so a caller presenting the right secret for it always gets through.
   */
  credential: string | undefined;
}

/**
 * Failed authentication, limited per client IP and per credential id. Failures are
 * counted in Postgres (shared by replicas); the check before authenticating is a local
 * map lookup of the IP, so a successful request (the token read path) costs no database
 * round trip. A replica learns of a block on its next counted failure: across N replicas
 * an attacker gets at most `limit + N - 1` failures a window.
 *
 * The credential id is not secret (`tbk_<id>_…`, a client id), so anyone can fail with it:
 * blocking it would let anyone lock its owner out. Its count only turns further wrong
 * secrets for it into 429, from every IP (issue 19).
 */
export interface AuthFailureGuard {
  /** Seconds the caller must wait when its IP is blocked, else undefined. No I/O. */
  blockedFor(ip: string): number | undefined;
  /** Whether any IP may be blocked now; when not, a request need not work out its IP. */
  blocking(): boolean;
  /**
   * Counts one failure against the IP and the credential id, blocking the IP once over
   * the limit. Resolves to the seconds to wait when either is over it (this failure is
   * then answered 429), else undefined.
   */
  record(keys: AuthFailureKeys): Promise<number | undefined>;
}

/**
 * @example
 * const guard = createAuthFailureGuard({ limiter, clock, perMinute: 30 });
 * if (guard.blockedFor('ip:10.0.0.1')) throw rateLimited(...);
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
    blockedFor(ip) {
      if (!blocking()) return undefined;
      const until = blockedUntil.get(ip);
      if (until === undefined) return undefined;
      const wait = until - deps.clock.now().getTime();
      if (wait <= 0) blockedUntil.delete(ip);
      return wait > 0 ? Math.ceil(wait / 1000) : undefined;
    },
    async record({ ip, credential }) {
      if (deps.perMinute === 0) return undefined;
      if (blockedUntil.size > MAX_BLOCKED) purgeExpired();
      let wait: number | undefined;
      for (const key of credential === undefined ? [ip] : [ip, credential]) {
        const d = await deps.limiter.hit(`auth-failure:${key}`, deps.perMinute);
        if (d.allowed) continue;
        if (key === ip) {
          blockedUntil.set(key, deps.clock.now().getTime() + d.retryAfterSeconds * 1000);
        }
        wait = Math.max(wait ?? 0, d.retryAfterSeconds);
      }
      return wait;
    },
  };
}

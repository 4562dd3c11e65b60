/** Jitter spreading a refresh before its window: 10 % of the window, at most this much. */
const WINDOW_JITTER_MAX_MS = 30_000;
/** Jitter spreading keep-alive refreshes: 10 % of the keep-alive period, at most this much. */
const KEEPALIVE_JITTER_MAX_MS = 3_600_000;
const DAY_MS = 86_400_000;
/**
 * A token is refreshed no sooner than this share of its remaining lifetime: a provider
 * whose tokens live less than the window must not be refreshed on every sweep.
 */
const MIN_LIFETIME_SHARE = 1 / 3;

/** Persisted back-off after a transient failure: 30 s doubling per consecutive failure… */
export const BACKOFF_BASE_SECONDS = 30;
/** …up to an hour. */
export const BACKOFF_MAX_SECONDS = 3_600;
/** Never sooner than this, even when the jitter draws close to zero. */
const BACKOFF_MIN_SECONDS = 1;

/** How the refresher schedules connections (from REFRESH_WINDOW_SECONDS / REFRESH_KEEPALIVE_DAYS). */
export interface RefreshSchedule {
  windowSeconds: number;
  /** 0 disables keep-alive refreshes. */
  keepAliveDays: number;
}

const spread = (periodMs: number, maxMs: number) => Math.random() * Math.min(periodMs * 0.1, maxMs);

/**
 * When the refresher should next refresh a token set: its expiry minus the window, or —
 * when earlier, and for tokens that never expire — the refresh token's keep-alive
 * deadline (many providers expire refresh tokens left unused for weeks). Both are
 * jittered earlier so connections created together are not refreshed together; never
 * before a third of the remaining lifetime (tokens shorter than the window). Null when
 * there is no refresh token (nothing the refresher could do).
 *
 * @example
 * nextRefreshAt({ windowSeconds: 300, keepAliveDays: 7 }, { expiresAt, hasRefreshToken: true, now });
 */
export function nextRefreshAt(
  schedule: RefreshSchedule,
  tokens: { expiresAt: Date | null; hasRefreshToken: boolean; now: Date },
): Date | null {
  if (!tokens.hasRefreshToken) return null;
  const candidates: number[] = [];
  const now = tokens.now.getTime();
  if (tokens.expiresAt) {
    const window = schedule.windowSeconds * 1000;
    const expiry = tokens.expiresAt.getTime();
    const floor = now + (expiry - now) * MIN_LIFETIME_SHARE;
    candidates.push(Math.max(expiry - window - spread(window, WINDOW_JITTER_MAX_MS), floor));
  }
  if (schedule.keepAliveDays > 0) {
    const period = schedule.keepAliveDays * DAY_MS;
    candidates.push(tokens.now.getTime() + period - spread(period, KEEPALIVE_JITTER_MAX_MS));
  }
  if (candidates.length === 0) return null;
  return new Date(Math.max(now, Math.min(...candidates)));
}

/**
 * When to try again after a transient failure, persisted in next_refresh_at so it
 * survives restarts: exponential back-off on the consecutive failures so far with full
 * jitter (a provider outage is not retried by the whole fleet at once), never before the
 * provider's Retry-After.
 *
 * @example
 * retryAt(row.refreshFailures, error.retryAfterSeconds, now);
 */
export function retryAt(
  failuresSoFar: number,
  retryAfterSeconds: number | undefined,
  now: Date,
): Date {
  const cap = Math.min(BACKOFF_BASE_SECONDS * 2 ** failuresSoFar, BACKOFF_MAX_SECONDS);
  const seconds = Math.max(retryAfterSeconds ?? 0, Math.random() * cap, BACKOFF_MIN_SECONDS);
  return new Date(now.getTime() + seconds * 1000);
}

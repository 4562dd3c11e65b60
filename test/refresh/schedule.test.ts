import {
  BACKOFF_BASE_SECONDS,
  BACKOFF_MAX_SECONDS,
  nextRefreshAt,
  retryAt,
} from '../../src/refresh/schedule.js';

const now = new Date('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
const DAY = 86_400;

describe('nextRefreshAt', () => {
  const schedule = { windowSeconds: 300, keepAliveDays: 7 };

  it('is the expiry minus the window, jittered earlier by at most 10 % of the window', () => {
    const times = Array.from({ length: 200 }, () =>
      nextRefreshAt(schedule, { expiresAt: at(3600), hasRefreshToken: true, now })!.getTime(),
    );
    for (const t of times) {
      expect(t).toBeLessThanOrEqual(at(3300).getTime());
      expect(t).toBeGreaterThanOrEqual(at(3270).getTime());
    }
    // A fleet created at once does not come due at once.
    expect(new Set(times).size).toBeGreaterThan(150);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThan(20_000);
  });

  it('keeps an unused refresh token alive: a token that never expires is due after the keep-alive period', () => {
    const t = nextRefreshAt(schedule, { expiresAt: null, hasRefreshToken: true, now })!;
    expect(t.getTime()).toBeLessThanOrEqual(at(7 * DAY).getTime());
    expect(t.getTime()).toBeGreaterThanOrEqual(at(7 * DAY - 3600).getTime());
  });

  it('takes the keep-alive deadline when it comes before the expiry', () => {
    const t = nextRefreshAt(schedule, { expiresAt: at(30 * DAY), hasRefreshToken: true, now })!;
    expect(t.getTime()).toBeLessThanOrEqual(at(7 * DAY).getTime());
  });

  it('with keep-alive off, a token that never expires is never due', () => {
    const off = { windowSeconds: 300, keepAliveDays: 0 };
    expect(nextRefreshAt(off, { expiresAt: null, hasRefreshToken: true, now })).toBeNull();
    expect(
      nextRefreshAt(off, { expiresAt: at(30 * DAY), hasRefreshToken: true, now })!.getTime(),
    ).toBeGreaterThan(at(29 * DAY).getTime());
  });

  it('is null without a refresh token, and never in the past', () => {
    expect(nextRefreshAt(schedule, { expiresAt: at(60), hasRefreshToken: false, now })).toBeNull();
    expect(nextRefreshAt(schedule, { expiresAt: at(-5), hasRefreshToken: true, now })).toEqual(now);
  });

  it('regression: a token living less than the window was refreshed on every sweep', () => {
    // 60 s tokens, 300 s window: not at once, but after a third of the lifetime.
    expect(nextRefreshAt(schedule, { expiresAt: at(60), hasRefreshToken: true, now })).toEqual(
      at(20),
    );
  });
});

describe('retryAt', () => {
  const delays = (failures: number, retryAfter?: number) =>
    Array.from(
      { length: 300 },
      () => (retryAt(failures, retryAfter, now).getTime() - now.getTime()) / 1000,
    );

  it('backs off exponentially with full jitter', () => {
    for (const failures of [0, 1, 2, 4]) {
      const cap = BACKOFF_BASE_SECONDS * 2 ** failures;
      const d = delays(failures);
      expect(Math.max(...d)).toBeLessThanOrEqual(cap);
      expect(Math.min(...d)).toBeGreaterThanOrEqual(1);
      // Full jitter: spread over the whole range, not bunched at the cap.
      expect(Math.min(...d)).toBeLessThan(cap * 0.2);
      expect(Math.max(...d)).toBeGreaterThan(cap * 0.8);
    }
  });

  it('never waits more than the maximum, however many failures', () => {
    expect(Math.max(...delays(40))).toBeLessThanOrEqual(BACKOFF_MAX_SECONDS);
  });

  it("never comes back before the provider's Retry-After", () => {
    expect(Math.min(...delays(0, 120))).toBeGreaterThanOrEqual(120);
  });
});

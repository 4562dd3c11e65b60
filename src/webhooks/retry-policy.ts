import type { SendResult } from './sender.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delay before each retry, counted from the failed attempt: 9 attempts in all, the first
 * retry within 5 s, the last about 23.6 h after the first attempt. Each delay is shortened
 * by up to 20 % of random jitter, never lengthened, so the schedule is an upper bound.
 */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  1 * MINUTE,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  8 * HOUR,
  8 * HOUR,
];

/** A receiver's Retry-After is honoured up to this long. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/** What to do after one attempt. */
export type Verdict =
  | { kind: 'delivered' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'failed'; reason: 'permanent' | 'exhausted' };

/** Statuses worth trying again besides 5xx: timeout, conflict, rate limit. */
const RETRYABLE_4XX = new Set([408, 409, 429]);

/** Whether a failed attempt may succeed later (network, timeout, 5xx, 408, 409, 429). */
export function isRetryable(result: SendResult): boolean {
  if (result.status === undefined) return result.error !== 'destination_refused';
  return result.status >= 500 || RETRYABLE_4XX.has(result.status);
}

/**
 * Decides the fate of a delivery after its `attempts`-th attempt: 2xx delivered; retryable
 * failures wait the schedule's next delay (with jitter, and at least the receiver's
 * Retry-After); anything else, or a spent schedule, fails for good.
 *
 * @example verdict(result, 1, DEFAULT_RETRY_SCHEDULE_MS) // { kind: 'retry', delayMs: 4600 }
 */
export function verdict(
  result: SendResult,
  attempts: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): Verdict {
  if (result.status !== undefined && result.status >= 200 && result.status < 300) {
    return { kind: 'delivered' };
  }
  if (!isRetryable(result)) return { kind: 'failed', reason: 'permanent' };
  const base = schedule[attempts - 1];
  if (base === undefined) return { kind: 'failed', reason: 'exhausted' };
  const jittered = Math.round(base * (0.8 + 0.2 * random()));
  const retryAfter = Math.min((result.retryAfterSeconds ?? 0) * SECOND, MAX_RETRY_AFTER_MS);
  return { kind: 'retry', delayMs: Math.max(jittered, retryAfter) };
}

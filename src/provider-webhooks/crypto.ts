import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RejectionReason, Verdict } from './types.js';

/** How far a signed timestamp may be from the broker's clock, in either direction. */
export const REPLAY_WINDOW_MS = 5 * 60 * 1000;

export const OK: Verdict = { ok: true };
export type Rejected = Extract<Verdict, { ok: false }>;
export const reject = (reason: RejectionReason): Rejected => ({ ok: false, reason });

/** HMAC-SHA256 of the parts, keyed by the secret. */
export function hmac(key: string | Buffer, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** SHA-256 of the raw body, hex: the delivery id of providers that send none. */
export const bodyHash = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/**
 * Constant-time equality of two strings; unequal lengths are compared too (against
 * themselves) so that the time does not tell how long the expected value is.
 */
export function safeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** Whether any candidate signature matches any expected one (every pair is compared). */
export function anyMatch(expected: readonly string[], given: readonly string[]): boolean {
  let found = false;
  for (const e of expected) for (const g of given) if (safeEqual(e, g)) found = true;
  return found;
}

/**
 * Checks a signed timestamp (milliseconds since the epoch) against the replay window.
 * NaN (an unparseable header) is stale.
 */
export function fresh(atMs: number, now: Date): boolean {
  return Number.isFinite(atMs) && Math.abs(now.getTime() - atMs) <= REPLAY_WINDOW_MS;
}

/** A header that is present and not empty. */
export const present = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '';

/**
 * The usual HMAC check: the header present, then any secret's signature matching.
 *
 * @example verifyHmac(header, secrets, (s) => hmac(s, body).toString('hex'))
 */
export function verifyHmac(
  header: string | undefined,
  secrets: readonly string[],
  expected: (secret: string) => string,
  given: (header: string) => string[] = (h) => [h.trim()],
): Verdict {
  if (!present(header)) return reject('missing_signature');
  return anyMatch(secrets.map(expected), given(header)) ? OK : reject('bad_signature');
}

/** A dotted path into a parsed body (`installation.id`); `*` walks every array element. */
export function valuesAt(body: unknown, path: string): unknown[] {
  let values: unknown[] = [body];
  for (const part of path.split('.')) {
    const next: unknown[] = [];
    for (const v of values) {
      if (part === '*') {
        if (Array.isArray(v)) next.push(...(v as unknown[]));
      } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        next.push((v as Record<string, unknown>)[part]);
      }
    }
    values = next.filter((v) => v !== undefined && v !== null);
  }
  return values;
}

/** The first string or number at a path, as a string. */
export function stringAt(body: unknown, path: string): string | undefined {
  const v = valuesAt(body, path)[0];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

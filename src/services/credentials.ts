import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { toBytes } from '../db/bytes.js';

/** API keys look like `tbk_<key id>_<secret>`: the id finds the row, the whole key is hashed. */
const API_KEY = /^tbk_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

export const sha256 = (value: string) => toBytes(createHash('sha256').update(value).digest());

/** Constant-time comparison of a presented secret against a stored SHA-256. */
export function matchesHash(presented: string, stored: Uint8Array): boolean {
  const digest = sha256(presented);
  return stored.length === digest.length && timingSafeEqual(digest, stored);
}

/** A new API key (256 random bits) with its row id and hash; the key itself is shown once. */
export function generateApiKey(): { id: string; key: string; hash: Uint8Array<ArrayBuffer> } {
  const id = randomBytes(10).toString('hex').slice(0, 16);
  const key = `tbk_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: sha256(key) };
}

/** The key id of a well-formed API key, or undefined. */
export function apiKeyId(key: string): string | undefined {
  return API_KEY.exec(key)?.[1];
}

/** A new client secret for `POST /oauth/token` (256 random bits). */
export function generateClientSecret(): { secret: string; hash: Uint8Array<ArrayBuffer> } {
  const secret = `tbs_${randomBytes(32).toString('base64url')}`;
  return { secret, hash: sha256(secret) };
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256). */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

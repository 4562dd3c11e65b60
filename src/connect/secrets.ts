import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { toBytes } from '../db/bytes.js';

/** Connect session tokens: `tbc_` and 256 random bits. */
const SESSION_TOKEN = /^tbc_[A-Za-z0-9_-]{43}$/;

/** SHA-256, the only form in which session tokens, states and browser bindings are stored. */
export const sha256 = (value: string) => toBytes(createHash('sha256').update(value).digest());

/** A fresh random value (256 bits, base64url). */
export const randomToken = () => randomBytes(32).toString('base64url');

/** A new connect session token. */
export const newSessionToken = () => `tbc_${randomToken()}`;

/** Whether a string can be a session token at all (saves a query on garbage). */
export const isSessionToken = (value: string) => SESSION_TOKEN.test(value);

/** Constant-time check of a presented value against its stored SHA-256. */
export function matchesHash(presented: string | undefined, stored: Uint8Array): boolean {
  if (presented === undefined) return false;
  const digest = sha256(presented);
  return digest.length === stored.length && timingSafeEqual(digest, stored);
}

/**
 * The browser-binding cookie's name for one flow. Derived from the state so that two
 * consent flows in one browser (two tabs) do not overwrite each other's binding.
 */
export const flowCookieName = (state: string) =>
  `tb_flow_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;

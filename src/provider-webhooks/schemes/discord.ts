import { createPublicKey, verify } from 'node:crypto';
import { fresh, OK, present, reject, stringAt } from '../crypto.js';
import type { WebhookScheme } from '../types.js';

/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the 32 key bytes follow. */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const HEX = /^[0-9a-fA-F]+$/;

/** Ed25519 check of `message` against a hex public key and hex signature; false when malformed. */
export function ed25519Verify(
  publicKeyHex: string,
  message: Buffer,
  signatureHex: string,
): boolean {
  if (!HEX.test(publicKeyHex) || publicKeyHex.length !== 64) return false;
  if (!HEX.test(signatureHex) || signatureHex.length !== 128) return false;
  const key = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(publicKeyHex, 'hex')]),
    format: 'der',
    type: 'spki',
  });
  return verify(null, message, key, Buffer.from(signatureHex, 'hex'));
}

/**
 * Discord webhook events: `X-Signature-Ed25519` (hex) over `X-Signature-Timestamp` +
 * body, checked with the application's public key (its `webhook_secret` here). A PING
 * (`type` 0) is answered 204 and not forwarded. Ed25519 verification is constant-time
 * in OpenSSL.
 */
export const discord: WebhookScheme = {
  name: 'discord',
  body: 'json',
  verify: (req, secrets, now) => {
    const signature = req.headers['x-signature-ed25519'];
    const timestamp = req.headers['x-signature-timestamp'];
    if (!present(signature) || !present(timestamp)) return reject('missing_signature');
    const at = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) * 1000 : Number.NaN;
    if (!fresh(at, now)) return reject('stale_timestamp');
    const message = Buffer.concat([Buffer.from(timestamp), req.body]);
    // Every key is tried, so the time does not tell which one matched.
    const matches = secrets.map((key) => ed25519Verify(key.trim(), message, signature.trim()));
    return matches.includes(true) ? OK : reject('bad_signature');
  },
  handshake: (_req, payload) => (stringAt(payload, 'type') === '0' ? { status: 204 } : undefined),
  deliveryId: () => undefined,
  eventType: (_req, payload) => stringAt(payload, 'event.type') ?? 'unknown',
};

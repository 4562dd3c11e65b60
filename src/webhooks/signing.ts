import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

/**
 * A new endpoint signing secret in the Standard Webhooks form `whsec_<base64>`.
 *
 * @example generateSecret() // 'whsec_8pQ…='
 */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/**
 * Signs one message per the Standard Webhooks scheme: base64 HMAC-SHA256 of
 * `${id}.${timestamp}.${body}` keyed by the base64-decoded part of the secret after `whsec_`.
 *
 * @example sign('whsec_…', 'msg_1', 1700000000, '{"id":"msg_1"}') // 'v1,K5o…='
 */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(6) : secret, 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header: one `v1,<sig>` per secret, space-separated. During a
 * rotation overlap it carries the new secret's signature and the previous one's.
 *
 * @example signatureHeader([current, previous], id, ts, body) // 'v1,abc= v1,def='
 */
export function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): string {
  return secrets.map((s) => sign(s, id, timestamp, body)).join(' ');
}

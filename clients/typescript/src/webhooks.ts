import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { WebhookEvent } from './types.js';

/** Request headers as Node (`req.headers`) or fetch (`Headers`) give them. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const SIGNED_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

// By shape, not `instanceof`: a framework may bring its own fetch's Headers class.
const isHeaders = (headers: WebhookHeaders): headers is Headers =>
  typeof headers.get === 'function';

/**
 * Verifies a webhook the broker sent (Standard Webhooks: `webhook-id`,
 * `webhook-timestamp` within 5 minutes, `webhook-signature` over the raw body) with the
 * endpoint's `whsec_…` secret, and returns the parsed event. During a secret rotation
 * the broker signs with both secrets, so either one verifies.
 *
 * @param payload the raw request body, exactly as received (not re-serialised JSON)
 * @throws {WebhookVerificationError} a missing, wrong or stale signature
 * @example
 * app.post('/hooks/broker', express.raw({ type: 'application/json' }), (req, res) => {
 *   const event = verifyWebhook(req.body, req.headers, process.env.BROKER_WEBHOOK_SECRET!);
 *   if (event.type === 'connection.revoked') forget(event.data.connection_id);
 *   res.sendStatus(204);
 * });
 */
export function verifyWebhook(
  payload: string | Buffer,
  headers: WebhookHeaders,
  secret: string,
): WebhookEvent {
  const lookup = isHeaders(headers) ? headers : new Headers();
  if (!isHeaders(headers)) {
    for (const [name, value] of Object.entries(headers)) {
      const one = Array.isArray(value) ? value[0] : value;
      if (one !== undefined) lookup.set(name, one);
    }
  }
  const picked: Record<string, string> = {};
  for (const name of SIGNED_HEADERS) {
    const one = lookup.get(name);
    if (one === null) throw new WebhookVerificationError(`Missing ${name}`);
    picked[name] = one;
  }
  return new Webhook(secret).verify(payload, picked) as WebhookEvent;
}

export { WebhookVerificationError };

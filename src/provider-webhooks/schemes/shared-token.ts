import { safeEqual, OK, present, reject, stringAt } from '../crypto.js';
import type { WebhookScheme } from '../types.js';

/**
 * GitLab: no signature, a shared token in `X-Gitlab-Token`, compared in constant time.
 * Weaker than an HMAC (a leaked request reveals the token); GitLab offers nothing else
 * for project and group webhooks.
 */
export const gitlab: WebhookScheme = {
  name: 'gitlab',
  body: 'json',
  verify: (req, secrets) => {
    const token = req.headers['x-gitlab-token'];
    if (!present(token)) return reject('missing_signature');
    let found = false;
    for (const s of secrets) if (safeEqual(s, token)) found = true;
    return found ? OK : reject('bad_signature');
  },
  deliveryId: (req) => req.headers['x-gitlab-event-uuid'] ?? req.headers['idempotency-key'],
  eventType: (req, payload) =>
    stringAt(payload, 'object_kind') ?? req.headers['x-gitlab-event'] ?? 'unknown',
};

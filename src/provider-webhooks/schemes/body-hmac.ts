import { fresh, hmac, OK, reject, safeEqual, stringAt, valuesAt, verifyHmac } from '../crypto.js';
import type { HandshakeAnswer, InboundRequest, WebhookScheme } from '../types.js';

/** Schemes whose signature is an HMAC-SHA256 of the raw body alone, in a header. */

const hex = (s: string, body: Buffer) => hmac(s, body).toString('hex');
const b64 = (s: string, body: Buffer) => hmac(s, body).toString('base64');
const header = (req: InboundRequest, name: string) => req.headers[name];
/** Hex signatures are compared lowercased. */
const lower = (h: string) => [h.trim().toLowerCase()];

/** GitHub (and GitHub Enterprise Server): `X-Hub-Signature-256: sha256=<hex>`. */
export const github: WebhookScheme = {
  name: 'github',
  body: 'json',
  verify: (req, secrets) =>
    verifyHmac(
      header(req, 'x-hub-signature-256'),
      secrets,
      (s) => `sha256=${hex(s, req.body)}`,
      lower,
    ),
  deliveryId: (req) => header(req, 'x-github-delivery'),
  eventType: (req, payload) => {
    const event = header(req, 'x-github-event') ?? 'unknown';
    const action = stringAt(payload, 'action');
    return action ? `${event}.${action}` : event;
  },
};

/** Bitbucket Cloud: `X-Hub-Signature: sha256=<hex>`, event in `X-Event-Key`. */
export const bitbucket: WebhookScheme = {
  name: 'bitbucket',
  body: 'json',
  verify: (req, secrets) =>
    verifyHmac(header(req, 'x-hub-signature'), secrets, (s) => `sha256=${hex(s, req.body)}`, lower),
  deliveryId: (req) => header(req, 'x-request-uuid') ?? header(req, 'x-hook-uuid'),
  eventType: (req) => header(req, 'x-event-key') ?? 'unknown',
};

/** Shopify: `X-Shopify-Hmac-Sha256: <base64>`, topic in `X-Shopify-Topic`. */
export const shopify: WebhookScheme = {
  name: 'shopify',
  body: 'json',
  verify: (req, secrets) =>
    verifyHmac(header(req, 'x-shopify-hmac-sha256'), secrets, (s) => b64(s, req.body)),
  deliveryId: (req) => header(req, 'x-shopify-webhook-id') ?? header(req, 'x-shopify-event-id'),
  eventType: (req) => header(req, 'x-shopify-topic') ?? 'unknown',
};

/**
 * Intuit QuickBooks: `intuit-signature: <base64>` keyed by the app's verifier token.
 * Both payload formats: `eventNotifications` and the CloudEvents array.
 */
export const intuit: WebhookScheme = {
  name: 'intuit',
  body: 'json',
  verify: (req, secrets) =>
    verifyHmac(header(req, 'intuit-signature'), secrets, (s) => b64(s, req.body)),
  deliveryId: (_req, payload) => (Array.isArray(payload) ? stringAt(payload, '*.id') : undefined),
  eventType: (_req, payload) => stringAt(payload, '*.type') ?? 'dataChangeEvent',
};

/**
 * Xero: `x-xero-signature: <base64>` keyed by the webhook key. Intent to receive is a
 * signed delivery with no events: answered 200 with an empty body, not forwarded (a
 * wrongly signed one gets the 401 Xero expects).
 */
export const xero: WebhookScheme = {
  name: 'xero',
  body: 'json',
  verify: (req, secrets) =>
    verifyHmac(header(req, 'x-xero-signature'), secrets, (s) => b64(s, req.body)),
  handshake: (_req, payload) =>
    valuesAt(payload, 'events.*').length === 0 ? { status: 200, text: '' } : undefined,
  deliveryId: () => undefined,
  eventType: (_req, payload) => {
    const category = stringAt(payload, 'events.*.eventCategory');
    const type = stringAt(payload, 'events.*.eventType');
    return category && type ? `${category}.${type}` : 'unknown';
  },
};

/**
 * Dropbox: `X-Dropbox-Signature: <hex>` keyed by the app secret; the GET verification
 * request echoes `challenge` as text with `nosniff`, as Dropbox asks.
 */
export const dropbox: WebhookScheme = {
  name: 'dropbox',
  body: 'json',
  challenge: (req) => {
    if (req.method !== 'GET') return undefined;
    const challenge = req.query.get('challenge') ?? '';
    return {
      status: challenge ? 200 : 400,
      text: challenge,
      headers: { 'x-content-type-options': 'nosniff' },
    };
  },
  verify: (req, secrets) =>
    verifyHmac(header(req, 'x-dropbox-signature'), secrets, (s) => hex(s, req.body), lower),
  deliveryId: () => undefined,
  eventType: (_req, payload) =>
    payload && typeof payload === 'object' ? (Object.keys(payload)[0] ?? 'unknown') : 'unknown',
};

/**
 * Linear: `Linear-Signature: <hex>` of the body, whose `webhookTimestamp` (ms) must be
 * inside the replay window.
 */
export const linear: WebhookScheme = {
  name: 'linear',
  body: 'json',
  verify: (req, secrets, now) => {
    const signed = verifyHmac(
      header(req, 'linear-signature'),
      secrets,
      (s) => hex(s, req.body),
      lower,
    );
    if (!signed.ok) return signed;
    const at = webhookTimestamp(req.body);
    if (at === undefined) return reject('invalid_body');
    return fresh(at, now) ? OK : reject('stale_timestamp');
  },
  deliveryId: (req) => header(req, 'linear-delivery'),
  eventType: (req, payload) => {
    const type = stringAt(payload, 'type') ?? header(req, 'linear-event') ?? 'unknown';
    const action = stringAt(payload, 'action');
    return action ? `${type}.${action}` : type;
  },
};

/** Linear's `webhookTimestamp` (ms) from the body; undefined when it is not JSON. */
function webhookTimestamp(body: Buffer): number | undefined {
  try {
    return Number(
      (JSON.parse(body.toString('utf8')) as { webhookTimestamp?: unknown }).webhookTimestamp,
    );
  } catch {
    return undefined;
  }
}

const hookSecretAnswer = (secret: string): HandshakeAnswer => ({
  status: 200,
  text: '',
  headers: { 'x-hook-secret': secret },
  learnSecret: secret,
});

/**
 * Asana: the handshake hands over a per-webhook secret in `X-Hook-Secret`, echoed back;
 * later deliveries carry `X-Hook-Signature: <hex>` keyed by it. Anyone could send a
 * handshake, so one is only taken when the URL's `token` is the provider's
 * `webhook_secret` (the URL the app gives Asana carries it). Heartbeats (no events)
 * are answered and not forwarded.
 */
export const asana: WebhookScheme = {
  name: 'asana',
  body: 'json',
  learnsSecrets: true,
  challenge: (req, secrets) => {
    const offered = req.headers['x-hook-secret'];
    if (offered === undefined) return undefined;
    const token = req.query.get('token') ?? '';
    const known = secrets.some((s) => safeEqual(s, token));
    return known && offered.length > 0 && offered.length <= 512
      ? hookSecretAnswer(offered)
      : reject('bad_signature');
  },
  verify: (req, secrets) =>
    verifyHmac(header(req, 'x-hook-signature'), secrets, (s) => hex(s, req.body), lower),
  handshake: (_req, payload) =>
    valuesAt(payload, 'events.*').length === 0 ? { status: 200, text: '' } : undefined,
  deliveryId: () => undefined,
  eventType: (_req, payload) => {
    const resource = stringAt(payload, 'events.*.resource.resource_type');
    const action = stringAt(payload, 'events.*.action');
    return resource && action ? `${resource}.${action}` : (action ?? 'unknown');
  },
};

import { anyMatch, fresh, hmac, OK, present, reject, stringAt } from '../crypto.js';
import type { InboundRequest, Verdict, WebhookScheme } from '../types.js';

/** Schemes whose signature covers a timestamp, checked against the replay window. */

const seconds = (value: string) => (/^\d{1,12}$/.test(value) ? Number(value) * 1000 : Number.NaN);
const millis = (value: string) => (/^\d{1,15}$/.test(value) ? Number(value) : Number.NaN);
/** RFC 3339 / ISO 8601 with a zone, as Box and Zendesk send. */
const isoDate = (value: string) =>
  /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value)
    ? Date.parse(value)
    : Number.NaN;

/**
 * The shared shape: both headers present, the timestamp fresh, then any of the given
 * signatures matching any secret's.
 */
function timestamped(
  signature: string | undefined,
  timestamp: string | undefined,
  parseTime: (value: string) => number,
  now: Date,
  expected: (secret: string, timestamp: string) => string,
  secrets: readonly string[],
  given: (signature: string) => string[] = (s) => [s.trim()],
): Verdict {
  if (!present(signature) || !present(timestamp)) return reject('missing_signature');
  if (!fresh(parseTime(timestamp.trim()), now)) return reject('stale_timestamp');
  const ts = timestamp.trim();
  return anyMatch(
    secrets.map((s) => expected(s, ts)),
    given(signature),
  )
    ? OK
    : reject('bad_signature');
}

const h = (req: InboundRequest, name: string) => req.headers[name];

/** Slack's and Zoom's scheme: `v0=<hex HMAC of "v0:{ts}:{body}">`, the timestamp in seconds. */
const v0Signature =
  (signatureHeader: string, timestampHeader: string): WebhookScheme['verify'] =>
  (req, secrets, now) =>
    timestamped(
      h(req, signatureHeader),
      h(req, timestampHeader),
      seconds,
      now,
      (s, ts) => `v0=${hmac(s, `v0:${ts}:`, req.body).toString('hex')}`,
      secrets,
    );

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC of "v0:{ts}:{body}">` with
 * `X-Slack-Request-Timestamp`. The Events API `url_verification` is signed and answered
 * with its challenge.
 */
export const slack: WebhookScheme = {
  name: 'slack',
  body: 'json_or_form',
  verify: v0Signature('x-slack-signature', 'x-slack-request-timestamp'),
  handshake: (_req, payload) =>
    stringAt(payload, 'type') === 'url_verification'
      ? { status: 200, json: { challenge: stringAt(payload, 'challenge') ?? '' } }
      : undefined,
  deliveryId: (_req, payload) => stringAt(payload, 'event_id'),
  eventType: (_req, payload) =>
    stringAt(payload, 'event.type') ??
    stringAt(payload, 'type') ??
    stringAt(payload, 'command') ??
    'unknown',
};

/**
 * Zoom: `x-zm-signature: v0=<hex HMAC of "v0:{ts}:{body}">` with `x-zm-request-timestamp`
 * (seconds). `endpoint.url_validation` is answered with the plain token and its HMAC.
 */
export const zoom: WebhookScheme = {
  name: 'zoom',
  body: 'json',
  verify: v0Signature('x-zm-signature', 'x-zm-request-timestamp'),
  handshake: (_req, payload, secrets) => {
    if (stringAt(payload, 'event') !== 'endpoint.url_validation') return undefined;
    const plainToken = stringAt(payload, 'payload.plainToken') ?? '';
    const secret = secrets[0] ?? '';
    return {
      status: 200,
      json: { plainToken, encryptedToken: hmac(secret, plainToken).toString('hex') },
    };
  },
  deliveryId: () => undefined,
  eventType: (_req, payload) => stringAt(payload, 'event') ?? 'unknown',
};

/** Stripe-style: `Stripe-Signature: t=<ts>,v1=<hex HMAC of "{t}.{body}">[,v1=…]`. */
export const stripe: WebhookScheme = {
  name: 'stripe',
  body: 'json',
  verify: (req, secrets, now) => {
    const header = h(req, 'stripe-signature') ?? '';
    const pairs = header.split(',').map((p) => p.trim().split('=') as [string, string?]);
    const t = pairs.find(([k]) => k === 't')?.[1];
    const v1 = pairs.filter(([k, v]) => k === 'v1' && v).map(([, v]) => v as string);
    return timestamped(
      v1.length > 0 ? v1.join(' ') : undefined,
      t,
      seconds,
      now,
      (s, ts) => hmac(s, `${ts}.`, req.body).toString('hex'),
      secrets,
      (sig) => sig.split(' '),
    );
  },
  deliveryId: (_req, payload) => stringAt(payload, 'id'),
  eventType: (_req, payload) => stringAt(payload, 'type') ?? 'unknown',
};

/** The characters HubSpot decodes in the URI before signing (its v3 documentation). */
const HUBSPOT_DECODED: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};
const hubspotUri = (url: string) =>
  url.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => HUBSPOT_DECODED[m.toUpperCase()] ?? m,
  );

/**
 * HubSpot v3: `X-HubSpot-Signature-v3: <base64 HMAC of method + uri + body + timestamp>`
 * keyed by the app's client secret, with `X-HubSpot-Request-Timestamp` (ms).
 */
export const hubspot: WebhookScheme = {
  name: 'hubspot',
  body: 'json',
  verify: (req, secrets, now) =>
    timestamped(
      h(req, 'x-hubspot-signature-v3'),
      h(req, 'x-hubspot-request-timestamp'),
      millis,
      now,
      (s, ts) => hmac(s, `${req.method}${hubspotUri(req.url)}`, req.body, ts).toString('base64'),
      secrets,
    ),
  deliveryId: () => undefined,
  eventType: (_req, payload) =>
    stringAt(payload, '*.subscriptionType') ?? stringAt(payload, 'subscriptionType') ?? 'unknown',
};

/**
 * Box: `box-signature-primary` and `box-signature-secondary`, each a base64 HMAC of
 * body + `box-delivery-timestamp`, one per signature key. Either matching any configured
 * key passes, so rotating Box's keys one at a time never drops a delivery.
 */
export const box: WebhookScheme = {
  name: 'box',
  body: 'json',
  verify: (req, secrets, now) => {
    const signatures = [h(req, 'box-signature-primary'), h(req, 'box-signature-secondary')]
      .filter((s): s is string => present(s))
      .map((s) => s.trim());
    if (h(req, 'box-signature-version') !== undefined && h(req, 'box-signature-version') !== '1')
      return reject('bad_signature');
    return timestamped(
      signatures.length > 0 ? signatures.join(' ') : undefined,
      h(req, 'box-delivery-timestamp'),
      isoDate,
      now,
      (s, ts) => hmac(s, req.body, ts).toString('base64'),
      secrets,
      (sig) => sig.split(' '),
    );
  },
  deliveryId: (req) => h(req, 'box-delivery-id'),
  eventType: (_req, payload) => stringAt(payload, 'trigger') ?? 'unknown',
};

/**
 * Zendesk: `X-Zendesk-Webhook-Signature: <base64 HMAC of timestamp + body>` with
 * `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601).
 */
export const zendesk: WebhookScheme = {
  name: 'zendesk',
  body: 'json',
  verify: (req, secrets, now) =>
    timestamped(
      h(req, 'x-zendesk-webhook-signature'),
      h(req, 'x-zendesk-webhook-signature-timestamp'),
      isoDate,
      now,
      (s, ts) => hmac(s, ts, req.body).toString('base64'),
      secrets,
    ),
  deliveryId: (req) => h(req, 'x-zendesk-webhook-invocation-id'),
  eventType: (_req, payload) => stringAt(payload, 'type') ?? 'trigger',
};

/** A Standard Webhooks secret: `whsec_<base64>` (the key is the decoded part). */
const standardKey = (secret: string) =>
  Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');

/**
 * Standard Webhooks: `webhook-signature: v1,<base64 HMAC of "{id}.{ts}.{body}">` (several,
 * space-separated) with `webhook-id` and `webhook-timestamp` (seconds).
 */
export const standardWebhooks: WebhookScheme = {
  name: 'standard-webhooks',
  body: 'json',
  verify: (req, secrets, now) => {
    const id = h(req, 'webhook-id');
    if (!present(id)) return reject('missing_signature');
    return timestamped(
      h(req, 'webhook-signature'),
      h(req, 'webhook-timestamp'),
      seconds,
      now,
      (s, ts) => `v1,${hmac(standardKey(s), `${id}.${ts}.`, req.body).toString('base64')}`,
      secrets,
      (sig) => sig.trim().split(/\s+/),
    );
  },
  deliveryId: (req) => h(req, 'webhook-id'),
  eventType: (_req, payload) => stringAt(payload, 'type') ?? 'unknown',
};

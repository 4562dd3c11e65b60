import { createHmac, createPrivateKey, sign as edSign } from 'node:crypto';
import type { InboundRequest } from '../../src/provider-webhooks/types.js';
import type { WebhookSchemeName } from '../../src/provider-webhooks/schemes/index.js';

/** RFC 8032 §7.1 TEST 1 key pair (published), used to sign Discord-format messages. */
export const RFC8032_SECRET = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
export const RFC8032_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';

const mac = (key: string | Buffer, data: string | Buffer) => createHmac('sha256', key).update(data);
export const hex = (key: string | Buffer, data: string | Buffer) => mac(key, data).digest('hex');
export const b64 = (key: string | Buffer, data: string | Buffer) => mac(key, data).digest('base64');

export function ed25519Sign(secretHex: string, message: Buffer): string {
  const key = createPrivateKey({
    key: Buffer.concat([
      Buffer.from('302e020100300506032b657004220420', 'hex'),
      Buffer.from(secretHex, 'hex'),
    ]),
    format: 'der',
    type: 'pkcs8',
  });
  return edSign(null, message, key).toString('hex');
}

export const URL_ = 'https://broker.example/webhooks/providers/p';

export function request(
  headers: Record<string, string | undefined>,
  body: string | Buffer,
  url = URL_,
  method: 'GET' | 'POST' = 'POST',
): InboundRequest {
  const u = new URL(url);
  return {
    method,
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body),
    url,
    query: u.searchParams,
  };
}

/** How a scheme's test requests are signed; `sign` at a moment `at` (seconds). */
export interface SchemeCase {
  scheme: WebhookSchemeName;
  /** The secret the broker verifies with (for Discord, the public key). */
  secret: string;
  /** The key a wrong signer uses. */
  wrongSecret: string;
  body: string;
  sign(secret: string, body: string, at: number): Record<string, string>;
  /** Headers whose absence must be refused as `missing_signature`. */
  signatureHeaders: string[];
  /** Whether the scheme signs a timestamp (a replay window applies). */
  timestamped: boolean;
}

const iso = (at: number) => new Date(at * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const linearBody = (at: number) =>
  JSON.stringify({
    action: 'create',
    type: 'Issue',
    data: { id: 'i1' },
    webhookTimestamp: at * 1000,
  });

export const CASES: SchemeCase[] = [
  {
    scheme: 'github',
    secret: 'gh-secret',
    wrongSecret: 'other',
    body: '{"action":"opened","installation":{"id":1}}',
    sign: (s, body) => ({
      'x-hub-signature-256': `sha256=${hex(s, body)}`,
      'x-github-event': 'issues',
    }),
    signatureHeaders: ['x-hub-signature-256'],
    timestamped: false,
  },
  {
    scheme: 'bitbucket',
    secret: 'bb-secret',
    wrongSecret: 'other',
    body: '{"repository":{"uuid":"{r}"}}',
    sign: (s, body) => ({
      'x-hub-signature': `sha256=${hex(s, body)}`,
      'x-event-key': 'repo:push',
    }),
    signatureHeaders: ['x-hub-signature'],
    timestamped: false,
  },
  {
    scheme: 'gitlab',
    secret: 'gl-token',
    wrongSecret: 'other',
    body: '{"object_kind":"push"}',
    sign: (s) => ({ 'x-gitlab-token': s }),
    signatureHeaders: ['x-gitlab-token'],
    timestamped: false,
  },
  {
    scheme: 'shopify',
    secret: 'shpss_secret',
    wrongSecret: 'other',
    body: '{"id":820982911946154508}',
    sign: (s, body) => ({
      'x-shopify-hmac-sha256': b64(s, body),
      'x-shopify-topic': 'orders/create',
    }),
    signatureHeaders: ['x-shopify-hmac-sha256'],
    timestamped: false,
  },
  {
    scheme: 'intuit',
    secret: 'verifier-token',
    wrongSecret: 'other',
    body: '{"eventNotifications":[{"realmId":"1185883450"}]}',
    sign: (s, body) => ({ 'intuit-signature': b64(s, body) }),
    signatureHeaders: ['intuit-signature'],
    timestamped: false,
  },
  {
    scheme: 'xero',
    secret: 'xero-webhook-key',
    wrongSecret: 'other',
    body: '{"events":[{"tenantId":"t1","eventCategory":"INVOICE","eventType":"UPDATE"}]}',
    sign: (s, body) => ({ 'x-xero-signature': b64(s, body) }),
    signatureHeaders: ['x-xero-signature'],
    timestamped: false,
  },
  {
    scheme: 'dropbox',
    secret: 'dropbox-app-secret',
    wrongSecret: 'other',
    body: '{"list_folder":{"accounts":["dbid:A"]}}',
    sign: (s, body) => ({ 'x-dropbox-signature': hex(s, body) }),
    signatureHeaders: ['x-dropbox-signature'],
    timestamped: false,
  },
  {
    scheme: 'asana',
    secret: 'hook-secret-from-handshake',
    wrongSecret: 'other',
    body: '{"events":[{"action":"changed","resource":{"resource_type":"task"}}]}',
    sign: (s, body) => ({ 'x-hook-signature': hex(s, body) }),
    signatureHeaders: ['x-hook-signature'],
    timestamped: false,
  },
  {
    scheme: 'linear',
    secret: 'lin_wh_secret',
    wrongSecret: 'other',
    // The body carries the timestamp: `sign` below rebuilds it for the moment asked.
    body: 'LINEAR',
    sign: (s, _body, at) => ({ 'linear-signature': hex(s, linearBody(at)) }),
    signatureHeaders: ['linear-signature'],
    timestamped: true,
  },
  {
    scheme: 'slack',
    secret: 'slack-signing-secret',
    wrongSecret: 'other',
    body: '{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"app_mention"}}',
    sign: (s, body, at) => ({
      'x-slack-signature': `v0=${hex(s, `v0:${at}:${body}`)}`,
      'x-slack-request-timestamp': String(at),
    }),
    signatureHeaders: ['x-slack-signature', 'x-slack-request-timestamp'],
    timestamped: true,
  },
  {
    scheme: 'zoom',
    secret: 'zoom-secret-token',
    wrongSecret: 'other',
    body: '{"event":"meeting.started","payload":{"account_id":"A1"}}',
    sign: (s, body, at) => ({
      'x-zm-signature': `v0=${hex(s, `v0:${at}:${body}`)}`,
      'x-zm-request-timestamp': String(at),
    }),
    signatureHeaders: ['x-zm-signature', 'x-zm-request-timestamp'],
    timestamped: true,
  },
  {
    scheme: 'stripe',
    secret: 'whsec_stripe_style',
    wrongSecret: 'other',
    body: '{"id":"evt_1","type":"invoice.paid"}',
    sign: (s, body, at) => ({ 'stripe-signature': `t=${at},v1=${hex(s, `${at}.${body}`)}` }),
    signatureHeaders: ['stripe-signature'],
    timestamped: true,
  },
  {
    scheme: 'hubspot',
    secret: 'hubspot-client-secret',
    wrongSecret: 'other',
    body: '[{"eventId":1,"portalId":62515,"subscriptionType":"contact.creation"}]',
    sign: (s, body, at) => ({
      'x-hubspot-signature-v3': b64(s, `POST${URL_}${body}${at * 1000}`),
      'x-hubspot-request-timestamp': String(at * 1000),
    }),
    signatureHeaders: ['x-hubspot-signature-v3', 'x-hubspot-request-timestamp'],
    timestamped: true,
  },
  {
    scheme: 'box',
    secret: 'box-primary-key',
    wrongSecret: 'other',
    body: '{"type":"webhook_event","trigger":"FILE.UPLOADED"}',
    sign: (s, body, at) => ({
      'box-signature-primary': b64(s, body + iso(at)),
      'box-signature-secondary': b64('box-secondary-key', body + iso(at)),
      'box-delivery-timestamp': iso(at),
      'box-signature-version': '1',
    }),
    signatureHeaders: ['box-delivery-timestamp'],
    timestamped: true,
  },
  {
    scheme: 'zendesk',
    secret: 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==',
    wrongSecret: 'other',
    body: '{"type":"zen:event-type:ticket.created"}',
    sign: (s, body, at) => ({
      'x-zendesk-webhook-signature': b64(s, iso(at) + body),
      'x-zendesk-webhook-signature-timestamp': iso(at),
    }),
    signatureHeaders: ['x-zendesk-webhook-signature', 'x-zendesk-webhook-signature-timestamp'],
    timestamped: true,
  },
  {
    scheme: 'standard-webhooks',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    wrongSecret: 'whsec_b3RoZXJvdGhlcm90aGVyb3RoZXJvdGhlcg==',
    body: '{"type":"thing.happened"}',
    sign: (s, body, at) => ({
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(at),
      'webhook-signature': `v1,${b64(Buffer.from(s.slice(6), 'base64'), `msg_1.${at}.${body}`)}`,
    }),
    signatureHeaders: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
    timestamped: true,
  },
  {
    scheme: 'discord',
    secret: RFC8032_PUBLIC,
    wrongSecret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    body: '{"version":1,"type":1,"event":{"type":"APPLICATION_AUTHORIZED"}}',
    sign: (key, body, at) => ({
      // Signing needs the private half: the wrong "secret" is RFC 8032 TEST 2's secret key.
      'x-signature-ed25519': ed25519Sign(
        key === RFC8032_PUBLIC ? RFC8032_SECRET : key,
        Buffer.from(`${at}${body}`),
      ),
      'x-signature-timestamp': String(at),
    }),
    signatureHeaders: ['x-signature-ed25519', 'x-signature-timestamp'],
    timestamped: true,
  },
];

/** The body a case signs at `at` (Linear's carries the timestamp). */
export const bodyOf = (c: SchemeCase, at: number) =>
  c.scheme === 'linear' ? linearBody(at) : c.body;

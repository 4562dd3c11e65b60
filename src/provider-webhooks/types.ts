import type { AuditOrigin } from '../audit/audit-log.js';
/** A provider's webhook request as it arrived: the raw body, never a parsed one. */
export interface InboundRequest {
  method: 'GET' | 'POST';
  /** Header names lowercased; a repeated header joined by `, `. */
  headers: Readonly<Record<string, string | undefined>>;
  body: Buffer;
  /** The URL the provider called (`PUBLIC_URL` + path + query): HubSpot signs it. */
  url: string;
  query: URLSearchParams;
  /** The request id and client IP, for the audit trail. */
  origin?: AuditOrigin | undefined;
}

/** Why a request was refused; a metric label and an audit reason, never a secret. */
export type RejectionReason =
  | 'missing_signature'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'invalid_body'
  | 'unknown_provider'
  | 'no_webhook_secret'
  | 'too_large'
  | 'rate_limited';

export type Verdict = { ok: true } | { ok: false; reason: RejectionReason };

/** What a provider handshake is answered with; it is never forwarded. */
export interface HandshakeAnswer {
  status: number;
  /** A JSON value, a text (sent as `text/plain`) or nothing. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
  /** A secret the provider hands over in the handshake (Asana `X-Hook-Secret`), to keep. */
  learnSecret?: string;
}

/**
 * One signature scheme: how a provider signs, which handshakes it sends, where its
 * delivery id and event name are. Every comparison is constant-time on the raw body.
 */
export interface WebhookScheme {
  name: string;
  /** `json`: the body must be JSON; `json_or_form`: JSON or `application/x-www-form-urlencoded`. */
  body: 'json' | 'json_or_form';
  /** Whether the verification secrets are the ones learned in handshakes (Asana). */
  learnsSecrets?: boolean;
  /** Unsigned handshakes, answered before the signature check (Dropbox GET, Asana). */
  challenge?(
    req: InboundRequest,
    secrets: readonly string[],
  ): HandshakeAnswer | Extract<Verdict, { ok: false }> | undefined;
  verify(req: InboundRequest, secrets: readonly string[], now: Date): Verdict;
  /** Signed handshakes, answered after the check (Slack, Zoom, Xero, Discord). */
  handshake?(
    req: InboundRequest,
    payload: unknown,
    secrets: readonly string[],
  ): HandshakeAnswer | undefined;
  /** The provider's own delivery id; undefined where it sends none (a body hash is used). */
  deliveryId(req: InboundRequest, payload: unknown): string | undefined;
  /** The provider's event name, e.g. `issues.opened`. */
  eventType(req: InboundRequest, payload: unknown): string;
}

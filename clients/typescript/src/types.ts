import type { components } from './generated/openapi.js';

/**
 * A connection's access token as `GET /v1/connections/{id}/token` answers it.
 *
 * @example
 * const token: Token = await broker.getToken('conn_…');
 * token.expires_at; // '2026-12-04T02:00:00.000Z' or null
 */
export type Token = components['schemas']['Token'];

/**
 * A connection (never a token), as every `/v1/connections` read answers it.
 *
 * @example
 * const { data } = await broker.api.GET('/v1/connections/{id}', { params: { path: { id } } });
 * data?.status; // 'active' | 'reauthorization_required' | 'revoked'
 */
export type Connection = components['schemas']['Connection'];

/**
 * What {@link TokenBrokerClient.getToken} resolves to: the broker's token, plus
 * `refreshError` when the broker could not refresh but the token is still valid.
 *
 * @example
 * const token = await broker.getToken(id);
 * if (token.refreshError) log.warn('provider refresh failing, token still valid');
 */
export type TokenResult = Token & {
  /** `Broker-Refresh-Error`: a needed refresh failed; the token is still valid for `minTtl`. */
  refreshError?: string;
};

// The OpenAPI document does not describe the outbound webhooks yet: these follow API.md
// ("Webhooks (outbound)") and src/webhooks/outbox.ts.

/** The `data` of the `connection.*` webhook events. */
export interface ConnectionEventData {
  connection_id: string;
  service_id: string | null;
  provider: string;
  subject: string;
  status: 'active' | 'reauthorization_required' | 'revoked';
  /** The failure's class on `connection.refresh_failed` and `reauthorization_required`. */
  error?: string;
  /** On `connection.created` when an existing `(provider, subject)` connected again. */
  reconnected?: boolean;
}

/** The `data` of `provider.webhook`: a verified event a provider sent to the broker. */
export interface ProviderWebhookData {
  provider: string;
  delivery_id: string;
  event_type: string;
  connection_ids: string[];
  /** The provider's parsed JSON body, or its raw text when it is not JSON. */
  payload: unknown;
}

/** The `data` of `provider.misconfigured` and `provider.recovered`. */
export interface ProviderStatusData {
  provider: string;
  status: 'active' | 'misconfigured';
  error?: string;
}

interface EventOf<T extends string, D> {
  id: string;
  type: T;
  timestamp: string;
  data: D;
}

/**
 * A webhook the broker sends, as {@link verifyWebhook} returns it; branch on `type`.
 *
 * @example
 * if (event.type === 'connection.reauthorization_required') askToReconnect(event.data.connection_id);
 */
export type WebhookEvent =
  | EventOf<
      | 'connection.created'
      | 'connection.refreshed'
      | 'connection.refresh_failed'
      | 'connection.reauthorization_required'
      | 'connection.revoked',
      ConnectionEventData
    >
  | EventOf<'provider.webhook', ProviderWebhookData>
  | EventOf<'provider.misconfigured' | 'provider.recovered', ProviderStatusData>;

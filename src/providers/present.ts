import { redirectUriOf } from './metadata.js';
import type { ProviderRow } from './registry.js';
import { findTemplate, type ProviderTemplate } from './templates/index.js';
import type { ProviderRecord } from './types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** A provider as the admin API shows it: the body it was created from, never a secret. */
export function presentProvider(p: ProviderRow, publicUrl: string) {
  const m = p.metadata as Record<string, unknown>;
  return {
    key: p.key,
    display_name: p.displayName,
    template: p.template,
    auth_mode: p.authMode,
    issuer: p.issuer,
    authorization_endpoint: str(m.authorization_endpoint),
    token_endpoint: str(m.token_endpoint),
    revocation_endpoint: str(m.revocation_endpoint),
    client_id: p.clientId,
    client_auth_method: p.clientAuthMethod,
    has_client_secret: p.clientSecret !== null,
    has_client_key: p.clientKey !== null,
    scopes: p.scopes,
    scope_separator: p.scopeSeparator,
    authorization_params: p.authorizationParams,
    token_params: p.tokenParams,
    config: p.config,
    api_base_url: p.apiBaseUrl,
    oidc: typeof m.jwks_uri === 'string',
    pushed_authorization_requests: typeof m.pushed_authorization_request_endpoint === 'string',
    distinct_redirect_uri: p.distinctRedirectUri,
    redirect_uri: redirectUriOf(publicUrl, p),
    has_webhook_secret: p.webhookSecret !== null,
    previous_webhook_secret_expires_at: iso(p.previousWebhookSecretExpiresAt),
    webhook_url: `${publicUrl}/webhooks/providers/${p.key}`,
    metadata_fetched_at: iso(p.metadataFetchedAt),
    status: p.status,
    status_reason: p.statusReason,
    status_since: iso(p.statusSince),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

/** A template of `GET /admin/providers/templates`. */
export const presentTemplate = (t: ProviderTemplate) => ({
  template: t.template,
  display_name: t.displayName,
  docs_url: t.docsUrl,
  issuer: t.issuer ?? null,
  authorization_endpoint: t.authorizationEndpoint,
  token_endpoint: t.tokenEndpoint,
  revocation_endpoint: t.revocationEndpoint ?? null,
  scopes: t.scopes,
  scope_separator: t.scopeSeparator,
  client_auth_method: t.clientAuthMethod,
  authorization_params: t.authorizationParams,
  token_params: t.tokenParams,
  device_authorization_endpoint: t.deviceAuthorizationEndpoint ?? null,
  scope_parameter: t.scopeParameter ?? 'scope',
  tokens_expire: t.tokensExpire,
  rotates_refresh_tokens: t.rotatesRefreshTokens,
  token_path: t.tokenPath ?? null,
  token_response_fields: t.tokenResponseFields ?? [],
  callback_params: t.callbackParams ?? [],
  grant_types: ['authorization_code', ...(t.grants ?? [])],
  notes: t.notes ?? null,
  api_base_url: t.api?.baseUrl ?? null,
  api_quota: t.api?.quota ?? null,
  placeholders: t.placeholders.map((p) => ({
    name: p.name,
    level: p.level,
    description: p.description,
    default: p.default ?? null,
    pattern: p.pattern.source,
  })),
});

/**
 * A provider as a service sees it: what it can ask for, never a secret or client id.
 *
 * @example res.json({ data: providers.map(presentServiceProvider) })
 */
export function presentServiceProvider(p: ProviderRecord) {
  const t = p.template ? findTemplate(p.template) : undefined;
  const grants = ['authorization_code'];
  if (p.metadata.device_authorization_endpoint)
    grants.push('urn:ietf:params:oauth:grant-type:device_code');
  if (p.clientAuthMethod !== 'none') grants.push('client_credentials');
  return {
    key: p.key,
    display_name: p.displayName,
    template: p.template,
    auth_mode: p.authMode,
    scopes: p.scopes,
    grant_types: grants,
    connection_config: (t?.placeholders ?? [])
      .filter((x) => x.level === 'connection')
      .map((x) => ({ name: x.name, description: x.description, pattern: x.pattern.source })),
    metadata_fields: [...(t?.tokenResponseFields ?? []), ...(t?.callbackParams ?? [])],
  };
}

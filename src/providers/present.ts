import { z } from 'zod';
import { timestamp } from '../validate.js';
import { redirectUriOf } from './metadata.js';
import type { ProviderRow } from './registry.js';
import { findTemplate, type ProviderTemplate } from './templates/index.js';
import type { ProviderRecord } from './types.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

const strings = z.array(z.string());
const nullableString = z.string().nullable();
const params = z.record(z.string(), z.string());

/** A provider as the admin API shows it: the body it was created from, never a secret. */
export const providerSchema = z
  .object({
    key: z.string(),
    display_name: z.string(),
    template: nullableString,
    auth_mode: z.string().describe('oauth2, api_key or basic'),
    issuer: nullableString,
    authorization_endpoint: nullableString,
    token_endpoint: nullableString,
    revocation_endpoint: nullableString,
    client_id: z.string(),
    client_auth_method: z.string(),
    has_client_secret: z.boolean(),
    has_client_key: z.boolean(),
    scopes: strings,
    scope_separator: z.string(),
    authorization_params: params,
    token_params: params,
    config: params.describe("values of the template's provider-level placeholders"),
    api_base_url: nullableString.describe("the provider's API base for the proxy"),
    oidc: z.boolean(),
    pushed_authorization_requests: z.boolean(),
    distinct_redirect_uri: z.boolean(),
    redirect_uri: z.string().describe('register this at the provider'),
    has_webhook_secret: z.boolean(),
    previous_webhook_secret_expires_at: timestamp.nullable(),
    webhook_url: z.string().describe("where the provider's own webhooks go"),
    metadata_fetched_at: timestamp.nullable(),
    status: z.string().describe('active, or misconfigured while the provider refuses the client'),
    status_reason: nullableString,
    status_since: timestamp.nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .describe(
    'the provider, without client_secret / client_key / webhook_secret; `status` is `misconfigured` (with `status_reason` and `status_since`) while the provider refuses the broker’s client (invalid_client, unauthorized_client) — its connections stay active, refreshes probe it every 5 minutes, and a PUT resumes them at once',
  );

/** A built-in template of `GET /admin/providers/templates`. */
export const providerTemplateSchema = z.object({
  template: z.string(),
  display_name: z.string(),
  docs_url: z.string(),
  issuer: nullableString,
  authorization_endpoint: z.string(),
  token_endpoint: z.string(),
  revocation_endpoint: nullableString,
  scopes: strings,
  scope_separator: z.string(),
  client_auth_method: z.string(),
  authorization_params: params,
  token_params: params,
  device_authorization_endpoint: nullableString,
  scope_parameter: z.string(),
  tokens_expire: z.boolean(),
  rotates_refresh_tokens: z.boolean(),
  token_path: nullableString,
  token_response_fields: strings,
  callback_params: strings,
  grant_types: strings,
  notes: nullableString,
  api_base_url: nullableString,
  api_quota: z.enum(['connection', 'app']).nullable(),
  placeholders: z.array(
    z.object({
      name: z.string(),
      level: z.string(),
      description: z.string(),
      default: nullableString,
      pattern: z.string(),
    }),
  ),
});

/** The answer of `GET /admin/providers/templates`. */
export const providerTemplateListSchema = z.object({ data: z.array(providerTemplateSchema) });

/** A provider as a service sees it at `GET /v1/providers`: never a secret or client id. */
export const availableProviderSchema = z.object({
  key: z.string(),
  display_name: z.string(),
  template: nullableString,
  auth_mode: z.string(),
  scopes: strings,
  grant_types: strings,
  connection_config: z
    .array(z.object({ name: z.string(), description: z.string(), pattern: z.string() }))
    .describe('values a connect session must give in connection_config'),
  metadata_fields: strings.describe('extras kept as the connection (and Token) metadata'),
});

/** The answer of `GET /v1/providers`. */
export const availableProviderListSchema = z.object({ data: z.array(availableProviderSchema) });

/** A provider as the admin API shows it: the body it was created from, never a secret. */
export function presentProvider(
  p: ProviderRow,
  publicUrl: string,
): z.output<typeof providerSchema> {
  const m = p.metadata as Record<string, unknown>;
  // Written only from bodies that providerBody checked: string maps.
  const stringMap = (v: unknown) => v as Record<string, string>;
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
    authorization_params: stringMap(p.authorizationParams),
    token_params: stringMap(p.tokenParams),
    config: stringMap(p.config),
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

/** @example res.json({ data: [...TEMPLATES.values()].map(presentTemplate) }) */
export const presentTemplate = (t: ProviderTemplate): z.output<typeof providerTemplateSchema> => ({
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
export function presentServiceProvider(
  p: ProviderRecord,
): z.output<typeof availableProviderSchema> {
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

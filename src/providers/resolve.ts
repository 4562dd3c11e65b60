import { importJWK, type JWK } from 'jose';
import type { ServerMetadata } from 'openid-client';
import { invalidRequest } from '../errors/index.js';
import { discoverMetadata } from './discovery.js';
import { assertEndpointUrl } from './egress.js';
import {
  assertMetadataUrls,
  explicitMetadata,
  resolveApiBase,
  placeholderValues,
  templateMetadata,
} from './metadata.js';
import type { ClientAuthMethod } from './types.js';
import type { AuthMode } from './templates/types.js';
import type { ProviderUpdateBody } from './schema.js';
import { findTemplate, type ProviderTemplate } from './templates/index.js';

/** How provider endpoints are reached: the call timeout and whether private destinations are allowed. */
export interface ProviderNetwork {
  timeoutSeconds: number;
  /** `PROVIDER_ALLOW_PRIVATE_URLS`: plain http to loopback and private-range addresses. */
  allowPrivate: boolean;
}

/** A provider's stored configuration, before encryption. */
export interface ResolvedProvider {
  displayName: string;
  template: string | null;
  authMode: AuthMode;
  issuer: string | null;
  metadata: ServerMetadata;
  /** Set for discovered providers only: their metadata is refetched when stale. */
  metadataFetchedAt: Date | null;
  clientId: string;
  clientAuthMethod: ClientAuthMethod;
  scopes: string[];
  scopeSeparator: string;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  config: Record<string, string>;
  apiBaseUrl: string | null;
  distinctRedirectUri: boolean;
}

async function metadataOf(
  body: ProviderUpdateBody,
  t: ProviderTemplate | undefined,
  config: Record<string, string>,
  network: ProviderNetwork,
): Promise<{ metadata: ServerMetadata; discovered: boolean }> {
  const explicit = body.authorization_endpoint ?? body.token_endpoint ?? body.revocation_endpoint;
  const oauth = (body.auth_mode ?? t?.authMode ?? 'oauth2') === 'oauth2';
  if (!oauth && !t && body.issuer === undefined && explicit === undefined) {
    // Static credentials only: no authorization server to describe.
    return { metadata: { issuer: '' }, discovered: false };
  }
  if (t) {
    if (body.issuer !== undefined || explicit !== undefined) {
      throw invalidRequest('template: cannot be combined with issuer or endpoints');
    }
    const metadata = templateMetadata(t, config);
    // Built-in templates are public https; a templates file or a placeholder may not be.
    if (!network.allowPrivate) assertMetadataUrls(metadata, false);
    return { metadata, discovered: false };
  }
  if (Object.keys(config).length > 0) throw invalidRequest('config: only templates take config');
  if (explicit !== undefined) {
    if (!body.authorization_endpoint || !body.token_endpoint) {
      throw invalidRequest('authorization_endpoint and token_endpoint are both required');
    }
    if (body.issuer !== undefined) assertEndpointUrl('issuer', body.issuer, network.allowPrivate);
    const metadata = explicitMetadata({
      issuer: body.issuer,
      authorization_endpoint: body.authorization_endpoint,
      token_endpoint: body.token_endpoint,
      revocation_endpoint: body.revocation_endpoint,
    });
    assertMetadataUrls(metadata, network.allowPrivate);
    return { metadata, discovered: false };
  }
  if (body.issuer !== undefined) {
    const metadata = await discoverMetadata(
      body.issuer,
      network.timeoutSeconds,
      network.allowPrivate,
    );
    return { metadata, discovered: true };
  }
  throw invalidRequest(
    'one of template, issuer, or authorization_endpoint + token_endpoint is required',
  );
}

/** Without configured scopes, an OpenID Provider is asked for `openid`, anything else for none. */
const defaultScopes = (m: ServerMetadata): string[] =>
  m.jwks_uri && (m.scopes_supported ?? ['openid']).includes('openid') ? ['openid'] : [];

function defaultAuthMethod(
  body: ProviderUpdateBody,
  t: ProviderTemplate | undefined,
): ClientAuthMethod {
  if (body.client_auth_method) return body.client_auth_method;
  if (body.client_key) return 'private_key_jwt';
  return t?.clientAuthMethod ?? 'client_secret_basic';
}

/**
 * Turns an admin's provider body into what is stored: metadata from the template, from
 * discovery, or from explicit endpoints, with the template's defaults under the body's
 * own values.
 *
 * @throws BrokerError invalid_request for an inconsistent body, upstream_unavailable when
 *   discovery cannot reach the issuer.
 */
export async function resolveProvider(
  key: string,
  body: ProviderUpdateBody,
  now: Date,
  network: ProviderNetwork,
): Promise<ResolvedProvider> {
  const t = body.template === undefined ? undefined : findTemplate(body.template);
  if (body.template !== undefined && !t) {
    throw invalidRequest(`template: unknown template "${body.template}"`);
  }
  const config = t
    ? placeholderValues(t.placeholders, 'provider', body.config ?? {}, 'config')
    : (body.config ?? {});
  const { metadata, discovered } = await metadataOf(body, t, config, network);
  const authMode = body.auth_mode ?? t?.authMode ?? 'oauth2';
  if (authMode === 'oauth2' && body.client_id === undefined) {
    throw invalidRequest('client_id: required for an oauth2 provider');
  }
  const scopes = body.scopes ?? t?.scopes ?? defaultScopes(metadata);
  if (scopes.includes('openid') && !metadata.jwks_uri) {
    throw invalidRequest('scopes: openid needs a provider with a jwks_uri (use issuer discovery)');
  }
  if (body.client_key) {
    try {
      await importJWK(
        body.client_key as JWK,
        typeof body.client_key.alg === 'string' ? body.client_key.alg : 'RS256',
      );
    } catch {
      throw invalidRequest('client_key: not a usable private JWK');
    }
  }
  return {
    displayName: body.display_name ?? t?.displayName ?? key,
    template: t?.template ?? null,
    authMode,
    issuer: body.issuer ?? (t?.issuer ? metadata.issuer : null),
    metadata,
    metadataFetchedAt: discovered ? now : null,
    clientId: body.client_id ?? '',
    clientAuthMethod: defaultAuthMethod(body, t),
    scopes,
    scopeSeparator: body.scope_separator ?? t?.scopeSeparator ?? ' ',
    authorizationParams: { ...t?.authorizationParams, ...body.authorization_params },
    tokenParams: { ...t?.tokenParams, ...body.token_params },
    config,
    apiBaseUrl: resolveApiBase(body.api_base_url, t, config, network.allowPrivate),
    distinctRedirectUri: body.distinct_redirect_uri ?? false,
  };
}

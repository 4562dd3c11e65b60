import type { ServerMetadata } from 'openid-client';
import { invalidRequest } from '../errors/index.js';
import { assertEndpointUrl } from './egress.js';
import type { ProviderRecord } from './types.js';
import {
  findTemplate,
  type ProviderTemplate,
  type TemplatePlaceholder,
} from './templates/index.js';

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/g;

/** Replaces `{name}` with values; unknown names are left for a later level. */
const fill = (text: string, values: Record<string, string>) =>
  text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);

/**
 * Checks the values given for one level of a template's placeholders and adds defaults.
 * @throws BrokerError invalid_request for an unknown name, a bad value or a missing one.
 */
export function placeholderValues(
  placeholders: readonly TemplatePlaceholder[],
  level: TemplatePlaceholder['level'],
  given: Record<string, string>,
  field: string,
): Record<string, string> {
  const declared = placeholders.filter((p) => p.level === level);
  for (const name of Object.keys(given)) {
    if (!declared.some((p) => p.name === name)) {
      throw invalidRequest(`${field}.${name}: not a ${level} setting of this provider`);
    }
  }
  const values: Record<string, string> = {};
  for (const p of declared) {
    const value = given[p.name] ?? p.default;
    if (value === undefined)
      throw invalidRequest(`${field}.${p.name}: required (${p.description})`);
    if (!p.pattern.test(value)) throw invalidRequest(`${field}.${p.name}: invalid value`);
    values[p.name] = value;
  }
  return values;
}

const withoutUndefined = (m: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)) as ServerMetadata;

/**
 * Server metadata of a template with its provider-level placeholders filled in. Templates
 * without an issuer get their authorization endpoint's origin as an issuer identifier.
 */
export function templateMetadata(
  t: ProviderTemplate,
  values: Record<string, string>,
): ServerMetadata {
  const authorization = fill(t.authorizationEndpoint, values);
  return withoutUndefined({
    issuer: t.issuer
      ? fill(t.issuer, values)
      : new URL(authorization.replace(PLACEHOLDER, 'x')).origin,
    authorization_endpoint: authorization,
    token_endpoint: fill(t.tokenEndpoint, values),
    revocation_endpoint: t.revocationEndpoint && fill(t.revocationEndpoint, values),
    device_authorization_endpoint:
      t.deviceAuthorizationEndpoint && fill(t.deviceAuthorizationEndpoint, values),
    jwks_uri: t.jwksUri && fill(t.jwksUri, values),
    userinfo_endpoint: t.userinfoEndpoint && fill(t.userinfoEndpoint, values),
  });
}

/**
 * Metadata of a plain OAuth 2.0 provider given by its endpoints. Without an `issuer` the
 * authorization endpoint's origin identifies it (checked against RFC 9207 `iss` if sent).
 */
export function explicitMetadata(e: {
  issuer: string | undefined;
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint: string | undefined;
}): ServerMetadata {
  return withoutUndefined({
    issuer: e.issuer ?? new URL(e.authorization_endpoint).origin,
    authorization_endpoint: e.authorization_endpoint,
    token_endpoint: e.token_endpoint,
    revocation_endpoint: e.revocation_endpoint,
  });
}

/**
 * A provider's proxy base: the body's `api_base_url`, else the template's with its
 * provider-level placeholders filled (connection-level ones stay for {@link apiBaseFor}).
 * Without a trailing slash; https (or loopback http where private URLs are allowed), no
 * query, fragment or credentials.
 *
 * @throws BrokerError invalid_request naming `api_base_url`.
 * @example resolveApiBase(undefined, github, {}, false) // 'https://api.github.com'
 */
export function resolveApiBase(
  given: string | null | undefined,
  t: ProviderTemplate | undefined,
  values: Record<string, string>,
  allowPrivate: boolean,
): string | null {
  const base = given === undefined ? t?.api && fill(t.api.baseUrl, values) : given;
  if (!base) return null;
  // A metadata field stands for a whole origin (Salesforce instance_url), a placeholder for a host part.
  const fields = t?.api?.fields ?? {};
  const sample = base.replace(PLACEHOLDER, (_m, name: string) =>
    name in fields ? 'https://x.example' : 'x',
  );
  assertEndpointUrl('api_base_url', sample, allowPrivate);
  if (base.includes('?')) throw invalidRequest('api_base_url: must not contain a query');
  return base.replace(/\/+$/, '');
}

/**
 * The proxy base for one connection: `{name}`s filled from the connection's metadata and
 * config, each value checked against the template's pattern for it (a placeholder's, or
 * `api.fields` for metadata such as Salesforce's `instance_url`), so a value can never
 * move the base to another host.
 *
 * @throws BrokerError invalid_request when the provider has no base or a value is missing or bad.
 * @example apiBaseFor(provider, { instance_url: 'https://acme.my.salesforce.com' }, false)
 */
export function apiBaseFor(
  p: ProviderRecord,
  values: Readonly<Record<string, unknown>>,
  allowPrivate: boolean,
): URL {
  if (!p.apiBaseUrl) throw invalidRequest(`provider "${p.key}" has no api_base_url`);
  const t = p.template ? findTemplate(p.template) : undefined;
  const patterns = new Map<string, RegExp>(Object.entries(t?.api?.fields ?? {}));
  for (const x of t?.placeholders ?? []) patterns.set(x.name, x.pattern);
  const filled = p.apiBaseUrl.replace(PLACEHOLDER, (_whole, name: string) => {
    const value = values[name];
    const pattern = patterns.get(name);
    if (typeof value !== 'string' || !pattern?.test(value)) {
      throw invalidRequest(
        `the connection lacks a valid "${name}" for the provider's api_base_url`,
      );
    }
    return value;
  });
  assertEndpointUrl('api_base_url', filled, allowPrivate);
  return new URL(filled);
}

/** Validates every endpoint of a metadata document (see {@link assertEndpointUrl}). */
export function assertMetadataUrls(m: ServerMetadata, allowPrivate: boolean): void {
  for (const field of [
    'authorization_endpoint',
    'token_endpoint',
    'revocation_endpoint',
    'jwks_uri',
    'pushed_authorization_request_endpoint',
    'device_authorization_endpoint',
  ] as const) {
    const value = m[field];
    if (field === 'authorization_endpoint' || field === 'token_endpoint') {
      if (typeof value !== 'string') throw invalidRequest(`provider metadata lacks ${field}`);
    }
    if (typeof value === 'string') {
      assertEndpointUrl(field, value.replace(PLACEHOLDER, 'x'), allowPrivate);
    }
  }
}

/** The connection-level placeholders a provider's template declares (none for non-templates). */
export function connectionPlaceholders(p: ProviderRecord): TemplatePlaceholder[] {
  const t = p.template ? findTemplate(p.template) : undefined;
  return t ? t.placeholders.filter((x) => x.level === 'connection') : [];
}

/**
 * The provider as one connection sees it: its connection-level placeholders filled in
 * with the values checked when the connect session was made (`placeholderValues`).
 * Returns the record itself when there is nothing to fill.
 *
 * @example
 * const scoped = forConnection(provider, connection.connectionConfig);
 * await oauth.refresh(scoped, refreshToken);
 */
export function forConnection(p: ProviderRecord, values: Record<string, string>): ProviderRecord {
  if (Object.keys(values).length === 0) return p;
  const metadata = Object.fromEntries(
    Object.entries(p.metadata).map(([k, v]) => [k, typeof v === 'string' ? fill(v, values) : v]),
  ) as ServerMetadata;
  return { ...p, metadata };
}

/**
 * The redirect URI to register at the provider: the shared `${PUBLIC_URL}/oauth/callback`,
 * or `${PUBLIC_URL}/oauth/callback/{key}` for a provider with a distinct one.
 */
export const redirectUriOf = (
  publicUrl: string,
  p: { key: string; distinctRedirectUri: boolean },
) => `${publicUrl}/oauth/callback${p.distinctRedirectUri ? `/${p.key}` : ''}`;

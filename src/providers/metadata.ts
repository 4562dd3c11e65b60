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

import type { presentProvider } from '../providers/present.js';
import type { ProviderTemplate } from '../providers/templates/index.js';
import { optional, type FormValues } from './forms.js';

type Provider = ReturnType<typeof presentProvider>;

/** How a provider's endpoints are known: a template, OIDC discovery, or typed by hand. */
export type ProviderKind = 'template' | 'issuer' | 'endpoints';

export const kindOf = (p: Provider): ProviderKind =>
  p.template ? 'template' : p.metadata_fetched_at ? 'issuer' : 'endpoints';

/** The provider-level placeholders of a template, e.g. an Entra tenant. */
export const providerPlaceholders = (t: ProviderTemplate | undefined) =>
  (t?.placeholders ?? []).filter((p) => p.level === 'provider');

/** The form field of a placeholder's value. */
export const configField = (name: string) => `config_${name}`;

/** Fields of the provider form, in the admin API's names (config values under `config`). */
export const PROVIDER_FIELDS = [
  'key',
  'display_name',
  'issuer',
  'authorization_endpoint',
  'token_endpoint',
  'revocation_endpoint',
  'api_base_url',
  'auth_mode',
  'client_id',
  'client_secret',
  'client_auth_method',
  'scopes',
  'webhook_secret',
  'config',
] as const;

/** The named fields that were filled in, trimmed. */
const present = (values: FormValues, names: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    names.flatMap((n): [string, string][] => {
      const v = optional(values[n]);
      return v === undefined ? [] : [[n, v]];
    }),
  );

const scopesOf = (values: FormValues) => {
  const text = optional(values.scopes);
  return text === undefined ? undefined : text.split(/[\s,]+/).filter(Boolean);
};

const configOf = (values: FormValues, t: ProviderTemplate | undefined) => {
  const entries = providerPlaceholders(t).flatMap((p): [string, string][] => {
    const v = optional(values[configField(p.name)]);
    return v === undefined ? [] : [[p.name, v]];
  });
  const config: Record<string, string> = Object.fromEntries(entries);
  return entries.length > 0 ? { config } : {};
};

const SECRETS = ['client_secret', 'webhook_secret'];
const ENDPOINTS = ['issuer', 'authorization_endpoint', 'token_endpoint', 'revocation_endpoint'];

/**
 * The new-provider form as a `POST /admin/providers` body: from a template (its name in
 * `template`), or by hand (an issuer to discover, or the endpoints). Empty fields are left out.
 */
export function newProviderBody(values: FormValues, t: ProviderTemplate | undefined) {
  const scopes = scopesOf(values);
  return {
    key: values.key ?? '',
    ...present(values, ['display_name', 'client_id', 'api_base_url', ...SECRETS]),
    ...(t
      ? { template: t.template, ...configOf(values, t) }
      : present(values, [...ENDPOINTS, 'auth_mode', 'client_auth_method'])),
    ...(scopes ? { scopes } : {}),
  };
}

/**
 * The edit form as a `PUT /admin/providers/{key}` body. PUT replaces the configuration, so
 * what the form does not show (extra parameters, scope separator, distinct redirect URI)
 * is carried over from the provider; an empty secret field keeps the stored secret.
 */
export function updatedProviderBody(
  p: Provider,
  values: FormValues,
  t: ProviderTemplate | undefined,
) {
  const kind = kindOf(p);
  const scopes = scopesOf(values);
  return {
    auth_mode: p.auth_mode,
    scope_separator: p.scope_separator,
    authorization_params: p.authorization_params,
    token_params: p.token_params,
    distinct_redirect_uri: p.distinct_redirect_uri,
    ...present(values, ['display_name', 'client_id', 'client_auth_method', 'api_base_url']),
    ...present(values, SECRETS),
    ...(kind === 'template'
      ? { template: p.template, config: { ...p.config, ...configOf(values, t).config } }
      : kind === 'issuer'
        ? present(values, ['issuer'])
        : present(values, ENDPOINTS)),
    scopes: scopes ?? [],
  };
}

/** A provider's values as the edit form shows them (never its secrets). */
export const providerValues = (p: Provider): FormValues => ({
  display_name: p.display_name,
  client_id: p.client_id,
  client_auth_method: p.client_auth_method,
  api_base_url: p.api_base_url ?? '',
  scopes: p.scopes.join(' '),
  issuer: p.issuer ?? '',
  authorization_endpoint: p.authorization_endpoint ?? '',
  token_endpoint: p.token_endpoint ?? '',
  revocation_endpoint: p.revocation_endpoint ?? '',
  ...Object.fromEntries(Object.entries(p.config).map(([k, v]) => [configField(k), v])),
});

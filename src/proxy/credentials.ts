import type { TemplateApi } from '../providers/templates/types.js';
import { STATIC_TOKEN_TYPES } from '../static-credentials/token-types.js';

/** What a request needs to carry the connection's credential. */
export interface Credential {
  /** Header set by the broker (replacing any the caller sent). */
  header: [name: string, value: string] | undefined;
  /** Query parameter added by the broker (any of the same name the caller sent is dropped). */
  query: [name: string, value: string] | undefined;
}

/**
 * How the connection's credential goes to the provider: `Authorization: Bearer` for OAuth
 * tokens, `Authorization: Basic` for basic credentials (stored as base64 of `user:pass`),
 * and for API keys the template's header or query parameter (`Authorization: Bearer` when
 * it names none).
 *
 * @example credentialFor({ tokenType: 'Bearer', accessToken: 'gho_…' }, undefined).header // ['authorization', 'Bearer gho_…']
 */
export function credentialFor(
  token: { tokenType: string; accessToken: string },
  api: TemplateApi | undefined,
): Credential {
  if (token.tokenType === STATIC_TOKEN_TYPES.basic) {
    return { header: ['authorization', `Basic ${token.accessToken}`], query: undefined };
  }
  if (token.tokenType === STATIC_TOKEN_TYPES.api_key && api?.apiKey) {
    const rule = api.apiKey;
    if ('query' in rule) return { header: undefined, query: [rule.query, token.accessToken] };
    return {
      header: [rule.header.toLowerCase(), `${rule.prefix ?? ''}${token.accessToken}`],
      query: undefined,
    };
  }
  return { header: ['authorization', `Bearer ${token.accessToken}`], query: undefined };
}

/** The caller's raw query with the credential's parameter set (and any of its name dropped). */
export function withCredentialQuery(
  query: string | undefined,
  param: [name: string, value: string] | undefined,
): string | undefined {
  if (!param) return query;
  const [name, value] = param;
  const kept = (query ?? '')
    .split('&')
    .filter((pair) => pair !== '' && decodeURIComponentSafe(pair.split('=')[0] ?? '') !== name);
  return [...kept, `${encodeURIComponent(name)}=${encodeURIComponent(value)}`].join('&');
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

import type { ClientAuthMethod } from '../oauth-client.js';

/**
 * A value substituted into a template's URLs as `{name}`: fixed for the whole provider
 * (`provider`, from the provider's `config`, e.g. an Entra tenant) or chosen per
 * connection (`connection`, from the connect session's `connection_config`, e.g. a shop).
 */
export interface TemplatePlaceholder {
  name: string;
  level: 'provider' | 'connection';
  description: string;
  /** Used when the provider or session gives no value; without one the value is required. */
  default?: string;
  /** Anchored pattern every value must match (keeps URLs from being rewritten). */
  pattern: RegExp;
}

/**
 * A built-in provider: endpoints and defaults an admin only completes with a client id
 * and secret. Endpoint URLs may contain `{placeholder}`s.
 */
export interface ProviderTemplate {
  template: string;
  displayName: string;
  docsUrl: string;
  /** OIDC issuer; with `jwksUri` it makes ID tokens verifiable when `openid` is requested. */
  issuer?: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** RFC 7009 endpoint, only where the provider speaks RFC 7009. */
  revocationEndpoint?: string;
  jwksUri?: string;
  userinfoEndpoint?: string;
  scopes: string[];
  scopeSeparator: string;
  clientAuthMethod: ClientAuthMethod;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  placeholders: TemplatePlaceholder[];
}

/** Host names and tenant ids: letters, digits, dots and dashes only. */
export const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

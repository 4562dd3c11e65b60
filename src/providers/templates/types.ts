import type { ClientAuthMethod } from '../types.js';

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

/** How end users give a provider credentials: the consent flow, or the connect page's form. */
export type AuthMode = 'oauth2' | 'api_key' | 'basic';

/** What the static-credential form asks for and checks (API key, or basic password). */
export interface StaticCredentialRules {
  /** The field's label ("Internal integration secret"). */
  label: string;
  /** One sentence on where to find it, shown under the field and with a refusal. */
  hint?: string;
  /** Anchored pattern a well-formed credential matches. */
  pattern?: RegExp;
}

/** An event field naming an account, and the connection metadata key it is matched against. */
export interface WebhookAccount {
  field: string;
  metadata: string;
}

/**
 * How the provider's own webhooks are received (`POST /webhooks/providers/{key}`): the
 * signature scheme (src/provider-webhooks/schemes), where an event names the account it
 * is about, and which events revoke connections.
 */
export interface TemplateWebhook {
  /** A scheme name of `WEBHOOK_SCHEMES`, e.g. `github`, `slack`, `standard-webhooks`. */
  scheme: string;
  /**
   * Event fields naming an account (a dotted path into the body, `*` for each array
   * element, or `header:<name>`), each matched against a connection metadata key.
   */
  accounts?: WebhookAccount[];
  /**
   * Events (by forwarded `event_type`) that revoke the connections they match: by
   * `accounts` of their own where given (Slack's `tokens_revoked` names the users), else
   * by the template's.
   */
  revokeOn?: { event: string; accounts?: WebhookAccount[] }[];
  /** The events this template's docs list as understood (docs/PROVIDERS.md). */
  events: string[];
}

/**
 * The provider's API as the proxy calls it (`ANY /v1/connections/{id}/proxy/{path}`).
 */
export interface TemplateApi {
  /** The base every proxied path is appended to; `{placeholder}`s and `fields` filled per connection. */
  baseUrl: string;
  /**
   * Whom the provider's rate limits count: `connection` (each user's token has its own
   * quota) or `app` (one quota for the whole client), which the rate-limit memory applies
   * to every connection of the provider.
   */
  quota: 'connection' | 'app';
  /** Connection metadata keys used in `baseUrl` (Salesforce `instance_url`), each with the anchored pattern its value must match. */
  fields?: Record<string, RegExp>;
  /** How an `api_key` connection's key is sent: a header (`Bearer` in `Authorization` when unset) or a query parameter. */
  apiKey?: { header: string; prefix?: string } | { query: string };
  /** The quota rules in a sentence (docs/PROVIDERS.md). */
  limits: string;
}

/** Grants a template's provider supports besides authorization_code. */
export type TemplateGrant = 'client_credentials' | 'device_code';

/**
 * A built-in provider: endpoints and defaults an admin only completes with a client id
 * and secret. Endpoint URLs may contain `{placeholder}`s. `catalog-schema.ts` checks
 * every template at typecheck (through this type) and at start.
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
  /** RFC 8628 device authorization endpoint. */
  deviceAuthorizationEndpoint?: string;
  jwksUri?: string;
  userinfoEndpoint?: string;
  scopes: string[];
  scopeSeparator: string;
  /** Authorization parameter carrying the scopes when it is not `scope` (Slack user tokens: `user_scope`). */
  scopeParameter?: string;
  clientAuthMethod: ClientAuthMethod;
  authorizationParams: Record<string, string>;
  tokenParams: Record<string, string>;
  placeholders: TemplatePlaceholder[];
  /** Whether access tokens carry an expiry (`expires_in`); false: they last until revoked. */
  tokensExpire: boolean;
  /** Whether a refresh answers a new refresh token that replaces the old one (single use). */
  rotatesRefreshTokens: boolean;
  /**
   * Where the token to serve sits in a nested token response: Slack's user token is
   * `authed_user.access_token` next to the bot token at the top level.
   */
  tokenPath?: string;
  /** Non-secret token response fields kept as connection metadata (dotted paths: `team.id`). */
  tokenResponseFields?: string[];
  /**
   * An account endpoint read once with the new access token on connect, for account ids
   * its token response lacks (GitHub user id, Zoom `account_id`): response paths → the
   * connection metadata keys they are kept under. Best effort: a failure keeps none.
   */
  accountEndpoint?: { url: string; fields: Record<string, string> };
  /** Callback query parameters kept as connection metadata (QuickBooks `realmId`). */
  callbackParams?: string[];
  /** The default `auth_mode` of providers made from it (`oauth2` when unset). */
  authMode?: AuthMode;
  /** Rules of the static-credential form, for providers of it with auth_mode api_key/basic. */
  staticCredential?: StaticCredentialRules;
  /** Further grants the provider supports for this client. */
  grants?: TemplateGrant[];
  /** The provider's API, for the proxy. */
  api?: TemplateApi;
  /** The provider's own webhooks, where it signs them. */
  webhook?: TemplateWebhook;
  /** What to know about this provider, in a sentence or two (docs/PROVIDERS.md). */
  notes?: string;
}

/** Host names and tenant ids: letters, digits, dots and dashes only. */
export const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * A DNS host name with at least one dot: lowercase labels of letters, digits and inner
 * dashes; no port, path, user info or IP literal tricks.
 */
export const DNS_NAME =
  /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** One DNS label (a subdomain such as a Zendesk account). */
export const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

import { HOST_LABEL, type ProviderTemplate } from './types.js';

/**
 * Microsoft identity platform (Entra ID) v2 endpoints for one `{tenant}` (a tenant id or
 * domain, or `common` / `organizations` / `consumers`). Registered as plain OAuth 2.0:
 * multi-tenant ID tokens carry each user's own tenant as `iss`, so for OpenID Connect use
 * discovery with `issuer: https://login.microsoftonline.com/<tenant id>/v2.0` instead.
 */
export const microsoft: ProviderTemplate = {
  template: 'microsoft',
  displayName: 'Microsoft',
  docsUrl: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  authorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
  tokenEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
  deviceAuthorizationEndpoint: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode',
  scopes: ['offline_access', 'User.Read'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'tenant',
      level: 'provider',
      description: 'tenant id or domain, or common / organizations / consumers',
      default: 'common',
      pattern: HOST_LABEL,
    },
  ],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials', 'device_code'],
  notes:
    'offline_access is needed for a refresh token. Each refresh answers a new refresh token, which the broker keeps. Client credentials need a scope like https://graph.microsoft.com/.default.',
  api: {
    baseUrl: 'https://graph.microsoft.com/v1.0',
    quota: 'connection',
    limits: 'Graph throttles per app per tenant and per user; 429 with Retry-After.',
  },
};

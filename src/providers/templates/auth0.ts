import { DNS_NAME, type ProviderTemplate } from './types.js';

/** Auth0 (OpenID Connect) at the tenant's `{domain}`. */
export const auth0: ProviderTemplate = {
  template: 'auth0',
  displayName: 'Auth0',
  docsUrl:
    'https://auth0.com/docs/get-started/authentication-and-authorization-flow/authorization-code-flow',
  issuer: 'https://{domain}/',
  authorizationEndpoint: 'https://{domain}/authorize',
  tokenEndpoint: 'https://{domain}/oauth/token',
  revocationEndpoint: 'https://{domain}/oauth/revoke',
  deviceAuthorizationEndpoint: 'https://{domain}/oauth/device/code',
  jwksUri: 'https://{domain}/.well-known/jwks.json',
  userinfoEndpoint: 'https://{domain}/userinfo',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'domain',
      level: 'provider',
      description: 'the tenant domain, e.g. acme.eu.auth0.com, or a custom domain',
      pattern: DNS_NAME,
    },
  ],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials', 'device_code'],
  notes:
    'The issuer ends with a slash. Add authorization_params.audience for an API audience. Rotation is an application setting; the broker keeps the newest refresh token.',
  api: {
    baseUrl: 'https://{domain}',
    quota: 'app',
    limits:
      'Limits are per tenant (Authentication and Management API); 429 with X-RateLimit-Remaining/Reset.',
  },
};

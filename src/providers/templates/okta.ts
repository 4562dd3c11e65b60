import { DNS_NAME, type ProviderTemplate } from './types.js';

/** Okta (OpenID Connect) at the org's `{domain}`, through a custom authorization server. */
export const okta: ProviderTemplate = {
  template: 'okta',
  displayName: 'Okta',
  docsUrl: 'https://developer.okta.com/docs/guides/implement-grant-type/authcode/main/',
  issuer: 'https://{domain}/oauth2/{authorization_server}',
  authorizationEndpoint: 'https://{domain}/oauth2/{authorization_server}/v1/authorize',
  tokenEndpoint: 'https://{domain}/oauth2/{authorization_server}/v1/token',
  revocationEndpoint: 'https://{domain}/oauth2/{authorization_server}/v1/revoke',
  deviceAuthorizationEndpoint: 'https://{domain}/oauth2/{authorization_server}/v1/device/authorize',
  jwksUri: 'https://{domain}/oauth2/{authorization_server}/v1/keys',
  userinfoEndpoint: 'https://{domain}/oauth2/{authorization_server}/v1/userinfo',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'domain',
      level: 'provider',
      description: 'the Okta org domain, e.g. acme.okta.com',
      pattern: DNS_NAME,
    },
    {
      name: 'authorization_server',
      level: 'provider',
      description: 'custom authorization server id',
      default: 'default',
      pattern: /^[A-Za-z0-9]{1,64}$/,
    },
  ],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials', 'device_code'],
  notes:
    'Refresh token rotation is a per-app setting (on for most new apps); either way the broker keeps the newest. Supports private_key_jwt client authentication.',
  api: {
    baseUrl: 'https://{domain}',
    quota: 'app',
    limits: 'Org-wide limits per endpoint; 429 with X-Rate-Limit-Reset.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Google (OpenID Connect); `access_type=offline` + `prompt=consent` yield a refresh token. */
export const google: ProviderTemplate = {
  template: 'google',
  displayName: 'Google',
  docsUrl: 'https://developers.google.com/identity/protocols/oauth2/web-server',
  issuer: 'https://accounts.google.com',
  authorizationEndpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenEndpoint: 'https://oauth2.googleapis.com/token',
  revocationEndpoint: 'https://oauth2.googleapis.com/revoke',
  deviceAuthorizationEndpoint: 'https://oauth2.googleapis.com/device/code',
  jwksUri: 'https://www.googleapis.com/oauth2/v3/certs',
  userinfoEndpoint: 'https://openidconnect.googleapis.com/v1/userinfo',
  scopes: ['openid', 'email', 'profile'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: { access_type: 'offline', prompt: 'consent' },
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  grants: ['device_code'],
  notes:
    'A refresh token is only issued with access_type=offline, and again on a later consent only with prompt=consent. Refresh tokens of apps in "testing" status expire after 7 days.',
  api: {
    baseUrl: 'https://www.googleapis.com',
    quota: 'connection',
    limits: 'Per-project and per-user-per-project quotas per API; 429 (or 403 rateLimitExceeded).',
  },
};

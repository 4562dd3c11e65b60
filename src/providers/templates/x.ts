import type { ProviderTemplate } from './types.js';

/** X (Twitter) OAuth 2.0 with PKCE; `offline.access` yields a rotating refresh token. */
export const x: ProviderTemplate = {
  template: 'x',
  displayName: 'X (Twitter)',
  docsUrl: 'https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/authorization-code',
  authorizationEndpoint: 'https://x.com/i/oauth2/authorize',
  tokenEndpoint: 'https://api.x.com/2/oauth2/token',
  revocationEndpoint: 'https://api.x.com/2/oauth2/revoke',
  scopes: ['tweet.read', 'users.read', 'offline.access'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  notes:
    'PKCE is required (the broker always sends S256). Access tokens last 2 hours; refresh tokens are single use. Public clients use client_auth_method none.',
  api: {
    baseUrl: 'https://api.x.com/2',
    quota: 'connection',
    limits:
      'Per endpoint per user in 15-minute windows (and per app); 429 with x-rate-limit-reset (epoch seconds).',
  },
};

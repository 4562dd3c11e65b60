import type { ProviderTemplate } from './types.js';

/** Box: single-use refresh tokens (every refresh rotates it). */
export const box: ProviderTemplate = {
  template: 'box',
  displayName: 'Box',
  docsUrl: 'https://developer.box.com/guides/authentication/oauth2/',
  authorizationEndpoint: 'https://account.box.com/api/oauth2/authorize',
  tokenEndpoint: 'https://api.box.com/oauth2/token',
  revocationEndpoint: 'https://api.box.com/oauth2/revoke',
  scopes: [],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials'],
  webhook: {
    scheme: 'box',
    events: ['V2 webhooks, as their trigger (FILE.UPLOADED, …)'],
  },
  notes: 'Access tokens last about an hour; a refresh token works once and for 60 days.',
  api: {
    baseUrl: 'https://api.box.com/2.0',
    quota: 'connection',
    limits: '1,000 requests a minute per user; 429 with Retry-After.',
  },
};

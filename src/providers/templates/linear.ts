import type { ProviderTemplate } from './types.js';

/** Linear: comma-separated scopes. */
export const linear: ProviderTemplate = {
  template: 'linear',
  displayName: 'Linear',
  docsUrl: 'https://linear.app/developers/oauth-2-0-authentication',
  authorizationEndpoint: 'https://linear.app/oauth/authorize',
  tokenEndpoint: 'https://api.linear.app/oauth/token',
  revocationEndpoint: 'https://api.linear.app/oauth/revoke',
  scopes: ['read'],
  scopeSeparator: ',',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: { prompt: 'consent' },
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials'],
  webhook: {
    scheme: 'linear',
    events: ['every event, as type.action (Issue.create, Comment.update, …)'],
  },
  notes:
    'Scopes are comma-separated. Newer apps get 24-hour access tokens with refresh tokens; older ones long-lived tokens without expires_in (both handled).',
  api: {
    baseUrl: 'https://api.linear.app',
    quota: 'connection',
    limits: '1,500 requests and a complexity budget an hour per user; X-RateLimit-Requests-*.',
  },
};

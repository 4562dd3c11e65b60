import type { ProviderTemplate } from './types.js';

/** Asana: the user's gid comes back in the token response's `data`. */
export const asana: ProviderTemplate = {
  template: 'asana',
  displayName: 'Asana',
  docsUrl: 'https://developers.asana.com/docs/oauth',
  authorizationEndpoint: 'https://app.asana.com/-/oauth_authorize',
  tokenEndpoint: 'https://app.asana.com/-/oauth_token',
  revocationEndpoint: 'https://app.asana.com/-/oauth_revoke',
  scopes: ['default'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['data.gid', 'data.email'],
  webhook: {
    scheme: 'asana',
    events: [
      'events, as resource_type.action (task.changed, …)',
      'X-Hook-Secret handshake and heartbeats (answered)',
    ],
  },
  notes: 'Access tokens last an hour; the refresh token does not change.',
  api: {
    baseUrl: 'https://app.asana.com/api/1.0',
    quota: 'connection',
    limits:
      '150 requests a minute per token (1,500 on paid plans), plus concurrency and cost limits; 429 with Retry-After.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Bitbucket Cloud (Atlassian's OAuth 2.0 consumers, not Atlassian's cloud platform). */
export const bitbucket: ProviderTemplate = {
  template: 'bitbucket',
  displayName: 'Bitbucket',
  docsUrl: 'https://developer.atlassian.com/cloud/bitbucket/oauth-2/',
  authorizationEndpoint: 'https://bitbucket.org/site/oauth2/authorize',
  tokenEndpoint: 'https://bitbucket.org/site/oauth2/access_token',
  scopes: ['account', 'repository'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  grants: ['client_credentials'],
  webhook: {
    scheme: 'bitbucket',
    events: ['every event, as X-Event-Key (repo:push, pullrequest:created, …)'],
  },
  notes:
    'Access tokens last 2 hours. Scopes are fixed on the consumer; the scope parameter narrows them.',
  api: {
    baseUrl: 'https://api.bitbucket.org/2.0',
    quota: 'connection',
    limits: '1,000 requests an hour per user for most endpoints; 429.',
  },
};

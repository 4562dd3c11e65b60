import type { ProviderTemplate } from './types.js';

/** Spotify Web API. */
export const spotify: ProviderTemplate = {
  template: 'spotify',
  displayName: 'Spotify',
  docsUrl: 'https://developer.spotify.com/documentation/web-api/tutorials/code-flow',
  authorizationEndpoint: 'https://accounts.spotify.com/authorize',
  tokenEndpoint: 'https://accounts.spotify.com/api/token',
  scopes: ['user-read-email'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  grants: ['client_credentials'],
  notes:
    'Access tokens last an hour. A refresh may answer a new refresh token; the broker keeps whichever is newest.',
  api: {
    baseUrl: 'https://api.spotify.com/v1',
    quota: 'app',
    limits: 'A rolling 30-second window per app; 429 with Retry-After.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Dropbox: short-lived tokens; `token_access_type=offline` yields a refresh token. */
export const dropbox: ProviderTemplate = {
  template: 'dropbox',
  displayName: 'Dropbox',
  docsUrl: 'https://developers.dropbox.com/oauth-guide',
  authorizationEndpoint: 'https://www.dropbox.com/oauth2/authorize',
  tokenEndpoint: 'https://api.dropboxapi.com/oauth2/token',
  scopes: ['account_info.read'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: { token_access_type: 'offline' },
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['account_id', 'team_id'],
  webhook: {
    scheme: 'dropbox',
    accounts: [{ field: 'list_folder.accounts.*', metadata: 'account_id' }],
    events: ['list_folder change notifications', 'GET challenge (answered)'],
  },
  notes: 'Access tokens last 4 hours; the refresh token does not change.',
  api: {
    baseUrl: 'https://api.dropboxapi.com/2',
    quota: 'connection',
    limits:
      'Per-user limits; 429 with Retry-After. Content calls use content.dropboxapi.com (not proxied).',
  },
};

import type { ProviderTemplate } from './types.js';

/** Notion public integrations: HTTP Basic client auth, tokens that never expire. */
export const notion: ProviderTemplate = {
  template: 'notion',
  displayName: 'Notion',
  docsUrl: 'https://developers.notion.com/docs/authorization',
  authorizationEndpoint: 'https://api.notion.com/v1/oauth/authorize',
  tokenEndpoint: 'https://api.notion.com/v1/oauth/token',
  scopes: [],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: { owner: 'user' },
  tokenParams: {},
  placeholders: [],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['workspace_id', 'workspace_name', 'bot_id'],
  staticCredential: {
    label: 'Internal integration secret',
    hint: 'Find it under Settings → Connections → Develop or manage integrations; it starts with ntn_ or secret_.',
    pattern: /^(?:ntn|secret)_[A-Za-z0-9]{20,80}$/,
  },
  notes:
    'No scopes (capabilities are set on the integration), no expiry, no refresh token. Internal integration secrets are static credentials (type api_key).',
  api: {
    baseUrl: 'https://api.notion.com/v1',
    quota: 'connection',
    limits:
      'About 3 requests/s per integration token; 429 with Retry-After. Callers send the Notion-Version header.',
  },
};

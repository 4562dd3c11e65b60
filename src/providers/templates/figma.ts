import type { ProviderTemplate } from './types.js';

/** Figma REST API. */
export const figma: ProviderTemplate = {
  template: 'figma',
  displayName: 'Figma',
  docsUrl: 'https://www.figma.com/developers/api#oauth2',
  authorizationEndpoint: 'https://www.figma.com/oauth',
  tokenEndpoint: 'https://api.figma.com/v1/oauth/token',
  scopes: ['current_user:read'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['user_id_string'],
  notes:
    'Access tokens last 90 days. Figma documents refreshes at /v1/oauth/refresh; point token_endpoint there with explicit endpoints if its token endpoint refuses refresh_token grants.',
  api: {
    baseUrl: 'https://api.figma.com',
    quota: 'connection',
    limits: 'Per-user, per-plan limits; 429 with Retry-After.',
  },
};

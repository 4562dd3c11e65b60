import type { ProviderTemplate } from './types.js';

/** Discord OAuth2. */
export const discord: ProviderTemplate = {
  template: 'discord',
  displayName: 'Discord',
  docsUrl: 'https://discord.com/developers/docs/topics/oauth2',
  authorizationEndpoint: 'https://discord.com/oauth2/authorize',
  tokenEndpoint: 'https://discord.com/api/oauth2/token',
  revocationEndpoint: 'https://discord.com/api/oauth2/token/revoke',
  scopes: ['identify'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  tokenResponseFields: ['guild.id', 'webhook.id'],
  grants: ['client_credentials'],
  accountEndpoint: { url: 'https://discord.com/api/users/@me', fields: { id: 'user.id' } },
  webhook: {
    scheme: 'discord',
    accounts: [{ field: 'event.data.user.id', metadata: 'user.id' }],
    revokeOn: [{ event: 'APPLICATION_DEAUTHORIZED' }],
    events: [
      'webhook events, as event.type (APPLICATION_AUTHORIZED, APPLICATION_DEAUTHORIZED, ENTITLEMENT_CREATE)',
      'PING (answered)',
    ],
  },
  notes:
    'Access tokens last 7 days; each refresh returns a new refresh token. The bot scope adds a guild to the response.',
  api: {
    baseUrl: 'https://discord.com/api/v10',
    quota: 'connection',
    limits:
      'Per-route buckets per token plus a global 50 requests/s; 429 with Retry-After and X-RateLimit-*.',
  },
};

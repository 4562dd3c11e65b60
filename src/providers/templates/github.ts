import type { ProviderTemplate } from './types.js';

/** GitHub OAuth Apps: no discovery, no ID tokens, tokens without `expires_in`. */
export const github: ProviderTemplate = {
  template: 'github',
  displayName: 'GitHub',
  docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  deviceAuthorizationEndpoint: 'https://github.com/login/device/code',
  scopes: ['read:user'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  grants: ['device_code'],
  callbackParams: ['installation_id'],
  accountEndpoint: { url: 'https://api.github.com/user', fields: { id: 'user.id' } },
  webhook: {
    scheme: 'github',
    accounts: [
      { field: 'installation.id', metadata: 'installation_id' },
      { field: 'sender.id', metadata: 'user.id' },
    ],
    revokeOn: [{ event: 'github_app_authorization.revoked' }],
    events: [
      'every event, as X-GitHub-Event.action (issues.opened, push, …)',
      'github_app_authorization.revoked',
    ],
  },
  notes:
    'OAuth App tokens never expire and come without a refresh token. GitHub Apps with expiring user tokens answer expires_in (8 h) and a rotating refresh token, which the broker handles the same way. Errors arrive with status 200.',
  api: {
    baseUrl: 'https://api.github.com',
    quota: 'connection',
    limits:
      '5,000 requests an hour per user token; X-RateLimit-Remaining: 0 with X-RateLimit-Reset (epoch seconds), secondary limits as 403/429 with Retry-After.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Slack OAuth v2, user token: scopes in `user_scope`, the token nested under `authed_user`. */
export const slackUser: ProviderTemplate = {
  template: 'slack-user',
  displayName: 'Slack (user token)',
  docsUrl: 'https://api.slack.com/authentication/oauth-v2',
  authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
  tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
  scopes: ['users:read'],
  scopeSeparator: ',',
  scopeParameter: 'user_scope',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  tokenPath: 'authed_user',
  tokenResponseFields: ['team.id', 'team.name', 'enterprise.id', 'authed_user.id'],
  webhook: {
    scheme: 'slack',
    accounts: [{ field: 'team_id', metadata: 'team.id' }],
    revokeOn: [
      {
        event: 'tokens_revoked',
        accounts: [{ field: 'event.tokens.oauth.*', metadata: 'authed_user.id' }],
      },
      { event: 'app_uninstalled' },
    ],
    events: [
      'Events API events, as the inner event.type (app_mention, message, …)',
      'url_verification (answered)',
      'tokens_revoked',
      'app_uninstalled',
    ],
  },
  notes:
    'Serves the user token (xoxp-) from authed_user.access_token; a bot token in the same response is ignored.',
  api: {
    baseUrl: 'https://slack.com/api',
    quota: 'connection',
    limits: 'Per method and workspace tiers (1–100+ a minute); 429 with Retry-After.',
  },
};

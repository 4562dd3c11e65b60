import type { ProviderTemplate } from './types.js';

/** Slack OAuth v2, bot token (comma-separated bot scopes). */
export const slack: ProviderTemplate = {
  template: 'slack',
  displayName: 'Slack',
  docsUrl: 'https://api.slack.com/authentication/oauth-v2',
  authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
  tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
  scopes: ['chat:write'],
  scopeSeparator: ',',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  tokenResponseFields: [
    'team.id',
    'team.name',
    'enterprise.id',
    'authed_user.id',
    'bot_user_id',
    'app_id',
  ],
  webhook: {
    scheme: 'slack',
    accounts: [{ field: 'team_id', metadata: 'team.id' }],
    revokeOn: [
      {
        event: 'tokens_revoked',
        accounts: [{ field: 'event.tokens.bot.*', metadata: 'bot_user_id' }],
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
    'Serves the bot token (xoxb-). Errors come as 200 with ok:false; token_type is "bot". With token rotation enabled tokens expire after 12 hours and carry a refresh token.',
  api: {
    baseUrl: 'https://slack.com/api',
    quota: 'connection',
    limits: 'Per method and workspace tiers (1–100+ a minute); 429 with Retry-After.',
  },
};

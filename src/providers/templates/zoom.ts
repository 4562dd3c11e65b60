import type { ProviderTemplate } from './types.js';

/** Zoom: HTTP Basic client auth, rotating refresh tokens. */
export const zoom: ProviderTemplate = {
  template: 'zoom',
  displayName: 'Zoom',
  docsUrl: 'https://developers.zoom.us/docs/integrations/oauth/',
  authorizationEndpoint: 'https://zoom.us/oauth/authorize',
  tokenEndpoint: 'https://zoom.us/oauth/token',
  revocationEndpoint: 'https://zoom.us/oauth/revoke',
  scopes: [],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  accountEndpoint: {
    url: 'https://api.zoom.us/v2/users/me',
    fields: { account_id: 'account_id', id: 'user.id' },
  },
  webhook: {
    scheme: 'zoom',
    accounts: [{ field: 'payload.account_id', metadata: 'account_id' }],
    revokeOn: [{ event: 'app_deauthorized' }],
    events: [
      'every event, as its event field (meeting.started, …)',
      'endpoint.url_validation (answered)',
      'app_deauthorized',
    ],
  },
  notes:
    'Scopes are set on the app. Access tokens last an hour; each refresh returns a new refresh token.',
  api: {
    baseUrl: 'https://api.zoom.us/v2',
    quota: 'connection',
    limits: 'Per account by plan and endpoint category; 429 with Retry-After.',
  },
};

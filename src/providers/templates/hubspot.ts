import type { ProviderTemplate } from './types.js';

/** HubSpot public apps: 30-minute access tokens, client credentials in the body. */
export const hubspot: ProviderTemplate = {
  template: 'hubspot',
  displayName: 'HubSpot',
  docsUrl: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
  authorizationEndpoint: 'https://app.hubspot.com/oauth/authorize',
  tokenEndpoint: 'https://api.hubapi.com/oauth/v1/token',
  scopes: ['oauth'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['hub_id'],
  webhook: {
    scheme: 'hubspot',
    accounts: [{ field: '*.portalId', metadata: 'hub_id' }],
    events: ['webhook batches (v3 signature), as the first subscriptionType (contact.creation, …)'],
  },
  notes: 'Access tokens last 30 minutes; the refresh token stays the same.',
  api: {
    baseUrl: 'https://api.hubapi.com',
    quota: 'connection',
    limits: '110 requests per 10 s per account and app; 429.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Intuit QuickBooks Online: the company id (`realmId`) arrives on the callback, not in the token. */
export const quickbooks: ProviderTemplate = {
  template: 'quickbooks',
  displayName: 'Intuit QuickBooks',
  docsUrl:
    'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
  authorizationEndpoint: 'https://appcenter.intuit.com/connect/oauth2',
  tokenEndpoint: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  revocationEndpoint: 'https://developer.api.intuit.com/v2/oauth2/tokens/revoke',
  scopes: ['com.intuit.quickbooks.accounting'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  callbackParams: ['realmId'],
  webhook: {
    scheme: 'intuit',
    accounts: [
      { field: 'eventNotifications.*.realmId', metadata: 'realmId' },
      { field: '*.intuitaccountid', metadata: 'realmId' },
    ],
    events: ['dataChangeEvent notifications and CloudEvents (qbo.customer.created.v1, …)'],
  },
  notes:
    'realmId (the company id every API call needs) is a callback parameter kept as connection metadata. Access tokens last an hour; the refresh token changes about daily and the newest must be kept.',
  api: {
    baseUrl: 'https://quickbooks.api.intuit.com/v3',
    quota: 'connection',
    limits:
      '500 requests a minute per company (realm) and app; 429. Paths start with /company/{realmId}.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Xero: 30-minute access tokens, rotating refresh tokens (`offline_access`). */
export const xero: ProviderTemplate = {
  template: 'xero',
  displayName: 'Xero',
  docsUrl: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow/',
  authorizationEndpoint: 'https://login.xero.com/identity/connect/authorize',
  tokenEndpoint: 'https://identity.xero.com/connect/token',
  revocationEndpoint: 'https://identity.xero.com/connect/revocation',
  scopes: ['offline_access', 'accounting.transactions'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['client_credentials'],
  accountEndpoint: {
    url: 'https://api.xero.com/connections',
    fields: { '0.tenantId': 'tenantId' },
  },
  webhook: {
    scheme: 'xero',
    accounts: [{ field: 'events.*.tenantId', metadata: 'tenantId' }],
    events: [
      'every event, as eventCategory.eventType (INVOICE.UPDATE, CONTACT.CREATE)',
      'intent to receive (answered)',
    ],
  },
  notes:
    'Refresh tokens are single use (30-minute grace) and expire after 60 days unused. The tenant id comes from GET /connections with the token.',
  api: {
    baseUrl: 'https://api.xero.com',
    quota: 'connection',
    limits:
      '60 a minute and 5,000 a day per tenant, 10,000 a minute per app; 429 with Retry-After. Callers send xero-tenant-id.',
  },
};

import type { ProviderTemplate } from './types.js';

/** Shopify: every shop is its own `{shop}.myshopify.com`, chosen per connection. */
export const shopify: ProviderTemplate = {
  template: 'shopify',
  displayName: 'Shopify',
  docsUrl:
    'https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens/authorization-code-grant',
  authorizationEndpoint: 'https://{shop}/admin/oauth/authorize',
  tokenEndpoint: 'https://{shop}/admin/oauth/access_token',
  scopes: ['read_products'],
  scopeSeparator: ',',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'shop',
      level: 'connection',
      description: 'the shop domain, e.g. acme.myshopify.com',
      pattern: /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/,
    },
  ],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  webhook: {
    scheme: 'shopify',
    accounts: [{ field: 'header:x-shopify-shop-domain', metadata: 'shop' }],
    revokeOn: [{ event: 'app/uninstalled' }],
    events: ['every topic, as X-Shopify-Topic (orders/create, …)', 'app/uninstalled'],
  },
  notes:
    'The shop is given per connection (connection_config.shop). Offline access tokens do not expire. Scopes are comma-separated. Custom-app admin tokens are static credentials (type api_key).',
  api: {
    baseUrl: 'https://{shop}/admin/api',
    quota: 'connection',
    limits:
      'A leaky bucket per store and app (REST 2 requests/s, GraphQL cost); 429 with Retry-After.',
  },
};

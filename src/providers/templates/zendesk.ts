import { DNS_LABEL, type ProviderTemplate } from './types.js';

/** Zendesk: every account is its own `{subdomain}.zendesk.com`, chosen per connection. */
export const zendesk: ProviderTemplate = {
  template: 'zendesk',
  displayName: 'Zendesk',
  docsUrl:
    'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/creating-and-using-oauth-tokens-with-the-api/',
  authorizationEndpoint: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
  tokenEndpoint: 'https://{subdomain}.zendesk.com/oauth/tokens',
  scopes: ['read'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'subdomain',
      level: 'connection',
      description: 'the account subdomain (acme for acme.zendesk.com)',
      pattern: DNS_LABEL,
    },
  ],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  webhook: {
    scheme: 'zendesk',
    events: [
      'webhooks of triggers, automations and event subscriptions (zen:event-type:ticket.created, …)',
    ],
  },
  notes:
    'The subdomain is given per connection (connection_config.subdomain). Tokens do not expire unless the client asks for expiring ones. API tokens are static credentials (type basic, user "email/token").',
  api: {
    baseUrl: 'https://{subdomain}.zendesk.com/api/v2',
    quota: 'connection',
    limits: 'Per account, by plan (200–700 a minute); 429 with Retry-After.',
  },
};

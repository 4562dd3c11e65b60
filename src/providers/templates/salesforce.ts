import type { ProviderTemplate } from './types.js';

/** Salesforce: no `expires_in`; `instance_url` (the org's API host) kept as connection metadata. */
export const salesforce: ProviderTemplate = {
  template: 'salesforce',
  displayName: 'Salesforce',
  docsUrl:
    'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm&type=5',
  authorizationEndpoint: 'https://{login_host}/services/oauth2/authorize',
  tokenEndpoint: 'https://{login_host}/services/oauth2/token',
  revocationEndpoint: 'https://{login_host}/services/oauth2/revoke',
  scopes: ['api', 'refresh_token'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'login_host',
      level: 'provider',
      description:
        'login.salesforce.com, test.salesforce.com (sandboxes) or <domain>.my.salesforce.com',
      default: 'login.salesforce.com',
      pattern:
        /^(?:login|test)\.salesforce\.com$|^[a-z0-9][a-z0-9-]{0,62}(?:--[a-z0-9]+)?\.my\.salesforce\.com$/,
    },
  ],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  tokenResponseFields: ['instance_url', 'id'],
  grants: ['client_credentials'],
  notes:
    'Token responses carry no expires_in (the session timeout is an org setting): force a refresh on a 401. API calls go to the instance_url kept in the connection metadata.',
  api: {
    baseUrl: '{instance_url}/services/data',
    quota: 'connection',
    fields: {
      instance_url: /^https:\/\/[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:salesforce|force)\.com$/,
    },
    limits: "API requests per org per 24 h (the org's allocation); REQUEST_LIMIT_EXCEEDED as 403.",
  },
};

import { DNS_NAME, type ProviderTemplate } from './types.js';

/** GitHub Enterprise Server at the admin's `{host}`: GitHub's dialect on another host. */
export const githubEnterprise: ProviderTemplate = {
  template: 'github-enterprise',
  displayName: 'GitHub Enterprise Server',
  docsUrl:
    'https://docs.github.com/en/enterprise-server@latest/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  authorizationEndpoint: 'https://{host}/login/oauth/authorize',
  tokenEndpoint: 'https://{host}/login/oauth/access_token',
  deviceAuthorizationEndpoint: 'https://{host}/login/device/code',
  scopes: ['read:user'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'host',
      level: 'provider',
      description: 'host name of the GitHub Enterprise Server, e.g. github.acme.com',
      pattern: DNS_NAME,
    },
  ],
  tokensExpire: false,
  rotatesRefreshTokens: false,
  grants: ['device_code'],
  callbackParams: ['installation_id'],
  accountEndpoint: { url: 'https://{host}/api/v3/user', fields: { id: 'user.id' } },
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
  notes: 'Same dialect as github.com; the host is fixed per provider (config.host).',
  api: {
    baseUrl: 'https://{host}/api/v3',
    quota: 'connection',
    limits:
      'As GitHub: 5,000 requests an hour per user token, X-RateLimit-Remaining/Reset (epoch seconds).',
  },
};

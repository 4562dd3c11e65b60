import { DNS_NAME, type ProviderTemplate } from './types.js';

/** GitLab.com or a self-managed instance (`{host}`); OpenID Connect when `openid` is requested. */
export const gitlab: ProviderTemplate = {
  template: 'gitlab',
  displayName: 'GitLab',
  docsUrl: 'https://docs.gitlab.com/api/oauth2/',
  issuer: 'https://{host}',
  authorizationEndpoint: 'https://{host}/oauth/authorize',
  tokenEndpoint: 'https://{host}/oauth/token',
  revocationEndpoint: 'https://{host}/oauth/revoke',
  deviceAuthorizationEndpoint: 'https://{host}/oauth/authorize_device',
  jwksUri: 'https://{host}/oauth/discovery/keys',
  userinfoEndpoint: 'https://{host}/oauth/userinfo',
  scopes: ['read_user'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'host',
      level: 'provider',
      description: 'host name of the GitLab instance',
      default: 'gitlab.com',
      pattern: DNS_NAME,
    },
  ],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  grants: ['device_code'],
  webhook: {
    scheme: 'gitlab',
    events: [
      'every event, as object_kind (push, merge_request, …); X-Gitlab-Token is a shared token, not a signature',
    ],
  },
  notes:
    'Access tokens last 2 hours; every refresh returns a new refresh token and retires the old one.',
  api: {
    baseUrl: 'https://{host}/api/v4',
    quota: 'connection',
    limits: 'Per-user limits set by the instance; 429 with RateLimit-Remaining/RateLimit-Reset.',
  },
};

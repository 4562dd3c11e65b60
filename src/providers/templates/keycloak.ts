import { DNS_NAME, type ProviderTemplate } from './types.js';

/** Keycloak (OpenID Connect) realm `{realm}` on `{host}`. */
export const keycloak: ProviderTemplate = {
  template: 'keycloak',
  displayName: 'Keycloak',
  docsUrl:
    'https://www.keycloak.org/docs/latest/server_admin/#con-oidc_server_administration_guide',
  issuer: 'https://{host}/realms/{realm}',
  authorizationEndpoint: 'https://{host}/realms/{realm}/protocol/openid-connect/auth',
  tokenEndpoint: 'https://{host}/realms/{realm}/protocol/openid-connect/token',
  revocationEndpoint: 'https://{host}/realms/{realm}/protocol/openid-connect/revoke',
  deviceAuthorizationEndpoint: 'https://{host}/realms/{realm}/protocol/openid-connect/auth/device',
  jwksUri: 'https://{host}/realms/{realm}/protocol/openid-connect/certs',
  userinfoEndpoint: 'https://{host}/realms/{realm}/protocol/openid-connect/userinfo',
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_basic',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [
    {
      name: 'host',
      level: 'provider',
      description: 'host name of the Keycloak server, e.g. sso.acme.com',
      pattern: DNS_NAME,
    },
    {
      name: 'realm',
      level: 'provider',
      description: 'realm name',
      pattern: /^[A-Za-z0-9_-]{1,255}$/,
    },
  ],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  grants: ['client_credentials', 'device_code'],
  notes:
    'Refresh tokens rotate only with the realm\'s "Revoke Refresh Token" setting. Supports private_key_jwt and PAR (discovery with issuer finds them).',
  api: {
    baseUrl: 'https://{host}/realms/{realm}',
    quota: 'app',
    limits: 'No quota of its own (whatever the deployment puts in front).',
  },
};

import type { ProviderTemplate } from './types.js';

/** LinkedIn (Sign In with LinkedIn using OpenID Connect, plus API products). */
export const linkedin: ProviderTemplate = {
  template: 'linkedin',
  displayName: 'LinkedIn',
  docsUrl:
    'https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow',
  issuer: 'https://www.linkedin.com/oauth',
  authorizationEndpoint: 'https://www.linkedin.com/oauth/v2/authorization',
  tokenEndpoint: 'https://www.linkedin.com/oauth/v2/accessToken',
  revocationEndpoint: 'https://www.linkedin.com/oauth/v2/revoke',
  jwksUri: 'https://www.linkedin.com/oauth/openid/jwks',
  userinfoEndpoint: 'https://api.linkedin.com/v2/userinfo',
  scopes: ['openid', 'profile', 'email'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: false,
  notes:
    'Access tokens last 60 days; refresh tokens only for approved Marketing partners — otherwise the user consents again when the token expires.',
  api: {
    baseUrl: 'https://api.linkedin.com',
    quota: 'app',
    limits: 'Daily limits per application and per member; 429.',
  },
};

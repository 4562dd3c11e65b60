import type { ProviderTemplate } from './types.js';

/** GitHub OAuth Apps: no discovery, no ID tokens, tokens without `expires_in`. */
export const github: ProviderTemplate = {
  template: 'github',
  displayName: 'GitHub',
  docsUrl: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
  authorizationEndpoint: 'https://github.com/login/oauth/authorize',
  tokenEndpoint: 'https://github.com/login/oauth/access_token',
  scopes: ['read:user'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
};

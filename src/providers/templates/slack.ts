import type { ProviderTemplate } from './types.js';

/** Slack OAuth v2 (bot scopes, comma-separated). */
export const slack: ProviderTemplate = {
  template: 'slack',
  displayName: 'Slack',
  docsUrl: 'https://api.slack.com/authentication/oauth-v2',
  authorizationEndpoint: 'https://slack.com/oauth/v2/authorize',
  tokenEndpoint: 'https://slack.com/api/oauth.v2.access',
  scopes: ['chat:write'],
  scopeSeparator: ',',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: {},
  tokenParams: {},
  placeholders: [],
};

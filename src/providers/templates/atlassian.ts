import type { ProviderTemplate } from './types.js';

/** Atlassian cloud (Jira, Confluence) 3LO: `audience=api.atlassian.com`, rotating refresh tokens. */
export const atlassian: ProviderTemplate = {
  template: 'atlassian',
  displayName: 'Atlassian (Jira, Confluence)',
  docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  authorizationEndpoint: 'https://auth.atlassian.com/authorize',
  tokenEndpoint: 'https://auth.atlassian.com/oauth/token',
  scopes: ['read:me', 'offline_access'],
  scopeSeparator: ' ',
  clientAuthMethod: 'client_secret_post',
  authorizationParams: { audience: 'api.atlassian.com', prompt: 'consent' },
  tokenParams: {},
  placeholders: [],
  tokensExpire: true,
  rotatesRefreshTokens: true,
  notes:
    'Refresh tokens rotate: each one works once (a reuse interval of minutes) and expires after 90 days of inactivity. Call accessible-resources to find the cloud id of a site.',
  api: {
    baseUrl: 'https://api.atlassian.com',
    quota: 'connection',
    limits:
      'Cost-based limits per app and site; 429 with Retry-After. Paths start with /ex/jira/{cloudid}/… (cloud id from accessible-resources).',
  },
};

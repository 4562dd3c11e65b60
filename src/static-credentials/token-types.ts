/** The `token_type` a static credential is served with: how the service sends it. */
export const STATIC_TOKEN_TYPES = { api_key: 'ApiKey', basic: 'Basic' } as const;

/** Whether a stored token type is a static credential's rather than an OAuth token's. */
export const isStaticTokenType = (tokenType: string): boolean =>
  Object.values<string>(STATIC_TOKEN_TYPES).includes(tokenType);

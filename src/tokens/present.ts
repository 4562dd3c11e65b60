import type { TokenView } from './token-service.js';

/**
 * The Token shape of API.md: `id_token` only when the provider issued one.
 *
 * @example res.json(presentToken(read.token))
 */
export const presentToken = (t: TokenView) => ({
  access_token: t.accessToken,
  // openid-client lowercases token_type; RFC 6750 spells the scheme `Bearer`.
  token_type: /^bearer$/i.test(t.tokenType) ? 'Bearer' : t.tokenType,
  expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
  scopes: t.scopes,
  connection_id: t.connectionId,
  provider: t.provider,
  ...(t.idToken === undefined ? {} : { id_token: t.idToken }),
});

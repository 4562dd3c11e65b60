import type { TokenView } from './token-service.js';

/**
 * The Token shape of API.md: `id_token` only when the provider issued one, `metadata`
 * only when the connection has some.
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
  // An extra field beyond API.md's Token, only when the template kept something.
  ...(Object.keys(t.metadata).length > 0 ? { metadata: t.metadata } : {}),
});

/**
 * A view's serialised Token, made once per view: the token service hands out the same
 * view for as long as a cached snapshot lasts, so a hot read serialises nothing.
 */
const serialised = new WeakMap<TokenView, string>();

/** `JSON.stringify(presentToken(t))`, remembered per view (views are never changed). */
export function tokenJson(t: TokenView): string {
  let text = serialised.get(t);
  if (text === undefined) {
    text = JSON.stringify(presentToken(t));
    serialised.set(t, text);
  }
  return text;
}

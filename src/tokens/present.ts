import { z } from 'zod';
import { accountMetadataSchema } from '../connections/present.js';
import { timestamp } from '../validate.js';
import type { TokenView } from './token-service.js';

/** API.md's Token. */
export const tokenSchema = z.object({
  access_token: z.string(),
  token_type: z.string().describe('Bearer, or ApiKey / Basic for static credentials'),
  expires_at: timestamp
    .nullable()
    .describe("the provider's expiry, reported up to 60 s early, never later"),
  scopes: z.array(z.string()),
  connection_id: z.string(),
  provider: z.string(),
  id_token: z.string().optional().describe('when the provider issued one'),
  metadata: accountMetadataSchema
    .optional()
    .describe('the connection metadata, only when it holds some'),
});

export type PresentedToken = z.output<typeof tokenSchema>;

/**
 * The Token shape of API.md: `id_token` only when the provider issued one, `metadata`
 * only when the connection has some.
 *
 * @example res.json(presentToken(read.token))
 */
export const presentToken = (t: TokenView): PresentedToken => ({
  access_token: t.accessToken,
  // openid-client lowercases token_type; RFC 6750 spells the scheme `Bearer`.
  token_type: /^bearer$/i.test(t.tokenType) ? 'Bearer' : t.tokenType,
  expires_at: t.expiresAt ? t.expiresAt.toISOString() : null,
  scopes: [...t.scopes],
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

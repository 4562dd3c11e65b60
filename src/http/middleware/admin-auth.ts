import type { RequestHandler } from 'express';
import { invalidToken } from '../../errors/index.js';
import { secretEquals } from '../../services/credentials.js';

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match?.[1];
}

/** What a 401 says when an `Authorization` header is there but not in the Bearer form. */
const BEARER_FORMAT_HINT =
  'the Authorization header must be "Bearer <token>" (the word Bearer, one space, the token)';

/**
 * Requires `Authorization: Bearer <ADMIN_API_TOKEN>`; 401 `invalid_token` otherwise.
 *
 * @example
 * routes.add('GET', '/admin/providers', requireAdmin(config.adminApiToken), listProviders);
 */
export function requireAdmin(adminApiToken: string): RequestHandler {
  return (req, res, next) => {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined || !secretEquals(token, adminApiToken)) {
      next(
        invalidToken(
          token !== undefined
            ? 'invalid admin credential'
            : req.headers.authorization
              ? BEARER_FORMAT_HINT
              : 'admin credential required',
        ),
      );
      return;
    }
    res.locals.actor = { type: 'admin', id: 'admin' };
    next();
  };
}

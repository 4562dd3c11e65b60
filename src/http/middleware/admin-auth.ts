import type { RequestHandler } from 'express';
import { invalidToken } from '../../errors/index.js';
import { secretEquals } from '../../services/credentials.js';

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match?.[1];
}

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
          token === undefined ? 'admin credential required' : 'invalid admin credential',
        ),
      );
      return;
    }
    res.locals.actor = { type: 'admin', id: 'admin' };
    next();
  };
}

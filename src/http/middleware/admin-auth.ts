import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { invalidToken } from '../../errors/index.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  return match?.[1];
}

/** Constant-time comparison of two secrets of any length (compares their SHA-256). */
export function secretEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
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

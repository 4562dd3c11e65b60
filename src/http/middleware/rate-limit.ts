import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Container } from '../../container.js';
import { rateLimited, type BrokerError } from '../../errors/index.js';
import type { AuthFailureKeys } from '../../ratelimit/auth-failures.js';
import { apiKeyId } from '../../services/credentials.js';
import { requestClientIp } from '../client-ip.js';
import { bearerToken } from './admin-auth.js';

/** A short, non-reversible bucket name for a credential (never the credential itself). */
const fingerprint = (value: string) =>
  createHash('sha256').update(value).digest('base64url').slice(0, 22);

/** A parsed body field (Express); the raw fast path has no body. */
const bodyField = (req: IncomingMessage, name: string): string => {
  const value = (req as { body?: Record<string, unknown> }).body?.[name];
  return typeof value === 'string' ? value : '';
};

/**
 * The caller's credential as a bucket: the whole presented secret hashed, so that a
 * caller cannot spend another service's budget by naming its client id.
 */
const credentialBucket = (req: Request, ip: string) => {
  const presented = [
    req.headers.authorization ?? '',
    bodyField(req, 'client_id'),
    bodyField(req, 'client_secret'),
    bodyField(req, 'client_assertion'),
  ].join('\n');
  return presented.trim() === '' ? `ip:${ip}` : `cred:${fingerprint(presented)}`;
};

/**
 * The id a failed authentication is counted against besides the IP: an API key's key id,
 * the Basic client id, or a fingerprint of any other presented secret.
 */
function credentialId(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const bearer = bearerToken(header);
  if (bearer !== undefined) return `cred:${apiKeyId(bearer) ?? fingerprint(bearer)}`;
  const basic = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
  if (basic) return `client:${Buffer.from(basic, 'base64').toString('utf8').split(':')[0]}`;
  const clientId = bodyField(req, 'client_id');
  if (clientId) return `client:${clientId}`;
  return header ? `cred:${fingerprint(header)}` : undefined;
}

/**
 * Which budget a request spends, if any: `POST /oauth/token` per client credential,
 * `POST /v1/connect-sessions` per service credential, `GET /connect/*` per client IP.
 */
function budgetOf(c: Container, req: Request): { key: string; perMinute: number } | undefined {
  const { tokenPerMinute, connectPerMinute } = c.rateLimits;
  const ip = () => requestClientIp(req, c.config.trustProxy);
  if (req.method === 'POST' && req.path === '/oauth/token' && tokenPerMinute > 0) {
    return { key: `token:${credentialBucket(req, ip())}`, perMinute: tokenPerMinute };
  }
  if (req.method === 'POST' && req.path === '/v1/connect-sessions' && connectPerMinute > 0) {
    return { key: `connect-session:${credentialBucket(req, ip())}`, perMinute: connectPerMinute };
  }
  if (req.method === 'GET' && req.path.startsWith('/connect/') && connectPerMinute > 0) {
    return { key: `connect:ip:${ip()}`, perMinute: connectPerMinute };
  }
  return undefined;
}

/**
 * Rate limits, in front of every route: the per-minute budgets of the token endpoint and
 * the connect flow (one shared counter upsert each), and failed authentication per client
 * IP and per credential id. The failure check costs no I/O and looks at the client IP
 * only (a credential id is never blocked: see auth-failures.ts); only a 401 is counted
 * (by the error handler, through `countAuthFailure`), so the token read path gets no
 * database write per request.
 *
 * @example
 * app.use(rateLimits(c));
 */
export function rateLimits(c: Container): RequestHandler {
  const guard = c.rateLimits.authFailures;
  return (req, res, next) => {
    const consoleSignIn = req.method === 'POST' && req.path === '/console/sign-in';
    const keys = authFailureKeys(c, req, consoleSignIn);
    const blocked = keys ? guard.blockedFor(keys.ip) : undefined;
    if (blocked !== undefined) {
      next(rateLimited(blocked));
      return;
    }
    // The error handler counts a 401 against these before answering (see countAuthFailure).
    if (keys) res.locals.authFailureKeys = keys;
    // The console's sign-in page answers a wrong admin token itself: count it once sent.
    if (consoleSignIn) {
      res.on('finish', () => {
        if (res.statusCode === 401) void countAuthFailure(c, res);
      });
    }
    const budget = budgetOf(c, req);
    if (!budget) {
      next();
      return;
    }
    c.rateLimits.limiter
      .hit(budget.key, budget.perMinute)
      .then((d) => next(d.allowed ? undefined : rateLimited(d.retryAfterSeconds)))
      .catch(next);
  };
}

/**
 * What a failed authentication of this request counts against: its client IP and the
 * presented credential's id; the IP alone where `ipAlone` (a sign-in form) and nothing
 * when no credential was presented. Shared by the Express app and the raw fast path.
 */
export function authFailureKeys(
  c: Container,
  req: IncomingMessage,
  ipAlone = false,
): AuthFailureKeys | undefined {
  const credential = credentialId(req);
  if (!credential && !ipAlone) return undefined;
  return { ip: `ip:${requestClientIp(req, c.config.trustProxy)}`, credential };
}

/**
 * Counts a failed authentication of this request (IP and credential id) before its 401 is
 * sent, so that the next guess already meets the block.
 *
 * @returns a 429 to answer instead when the IP or the credential id is over its limit.
 * @example
 * if (error.status === 401) error = (await countAuthFailure(c, res)) ?? error;
 */
export async function countAuthFailure(
  c: Container,
  res: Response,
): Promise<BrokerError | undefined> {
  const keys = res.locals.authFailureKeys as AuthFailureKeys | undefined;
  return keys ? recordAuthFailure(c, keys) : undefined;
}

/**
 * Counts one failed authentication; a counting failure is logged, never turned into a 5xx.
 * @returns a 429 to answer instead of the 401 when the IP or credential id is over its limit.
 */
export async function recordAuthFailure(
  c: Container,
  keys: AuthFailureKeys | undefined,
): Promise<BrokerError | undefined> {
  if (!keys) return undefined;
  try {
    const wait = await c.rateLimits.authFailures.record(keys);
    return wait === undefined ? undefined : rateLimited(wait);
  } catch (error) {
    c.logger.warn({ err: String(error) }, 'counting a failed authentication failed');
    return undefined;
  }
}

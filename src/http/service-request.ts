import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Container } from '../container.js';
import { andThen, settled, type Eventually } from '../eventually.js';
import { rateLimited, toBrokerError } from '../errors/index.js';
import type { ServicePrincipal } from '../services/service-store.js';
import { bearerToken } from './middleware/admin-auth.js';
import { answerError } from './middleware/errors.js';
import { authFailureKeys, recordAuthFailure } from './middleware/rate-limit.js';

/** What one service request does once its caller is known, and how its answer is written. */
export interface ServiceRequest<A> {
  /** The route pattern: errors are answered as this route's (JSON or a page). */
  route: string;
  serve: (caller: ServicePrincipal) => Eventually<A>;
  write: (answer: A) => Eventually<void>;
  /** Runs before the broker answers an error itself (its own headers are not sent yet). */
  beforeError?: ((error: unknown) => void) | undefined;
}

/** The caller of `Authorization: Bearer <API key or broker JWT>`; 401 `invalid_token` otherwise. */
export const authenticateBearer = (c: Container, req: IncomingMessage) =>
  c.services.requireBearer(bearerToken(req.headers.authorization), req.headers.authorization);

/**
 * The one pipeline of the service routes answered outside Express's middleware — the token
 * read (raw fast path and Express route alike) and the proxy: the failed-authentication
 * guard (no I/O), authentication, serve, write, and a 401 counted before it is answered,
 * so that the next guess already meets the block. Every error is answered here.
 *
 * @example
 * await runServiceRequest(c, req, res, tokenRead(c, req, res, { requestId, params, query }));
 */
export function runServiceRequest<A>(
  c: Container,
  req: IncomingMessage,
  res: ServerResponse,
  request: ServiceRequest<A>,
): Promise<void> {
  const fail = (error: unknown) => {
    request.beforeError?.(error);
    answerError(c.logger, request.route, res, error);
  };
  const guard = c.rateLimits.authFailures;
  const keys = guard.blocking() ? authFailureKeys(c, req) : undefined;
  const blocked = keys ? guard.blockedFor(keys.ip) : undefined;
  if (blocked !== undefined) {
    fail(rateLimited(blocked));
    return Promise.resolve();
  }
  const failed = async (error: unknown) => {
    if (toBrokerError(error).status !== 401) throw error;
    throw (await recordAuthFailure(c, authFailureKeys(c, req))) ?? error;
  };
  // Each step goes on at once when the last one's value is known (a cached credential and
  // snapshot): the common read makes no promise until its write.
  const answered = settled(() =>
    andThen(andThen(authenticateBearer(c, req), request.serve), request.write),
  );
  return answered instanceof Promise ? answered.catch(failed).catch(fail) : Promise.resolve();
}

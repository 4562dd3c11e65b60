import type { IncomingMessage, RequestListener } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import type { Container } from '../container.js';
import { auditOrigin } from './audit-origin.js';
import { bearerToken } from './middleware/admin-auth.js';
import { rateLimited, toBrokerError } from '../errors/index.js';
import { answerError } from './middleware/errors.js';
import { authFailureKeys, recordAuthFailure } from './middleware/rate-limit.js';
import { observeRequest, requestIdOf } from './middleware/observe.js';
import { responseHeaders, setResponseHeaders } from './response-headers.js';
import { readTokenRoute, sendToken, TOKEN_ROUTE } from './routes/service-api.js';

/**
 * The canonical form of `GET /v1/connections/:id/token`: an id that needs no decoding and
 * that the route's validation accepts. Any other spelling (percent-encoded, trailing slash,
 * other case, over-long id) is Express's to answer, so both give the same answer.
 */
const TOKEN_URL = /^\/v1\/connections\/([A-Za-z0-9_-]{1,64})\/token(?:\?(.*))?$/s;

/** A GET carrying a body goes to Express, whose body parsers may refuse it. */
const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * The token read — the one route services call on their own hot paths — answered on the
 * raw `node:http` server in front of Express, whose per-request machinery costs several
 * times the read itself (docs/PERFORMANCE.md). Every concern goes through the same
 * function the Express app uses: `observeRequest` (request id, log line, latency metric),
 * `responseHeaders` (helmet's headers, no-store, request id), `services.requireBearer`
 * (authentication), `readTokenRoute` (validation, policy, refresh, audit, read metrics),
 * `sendToken`, and `answerError`. Every other request falls through to `next`.
 *
 * @example
 * server.on('request', createFastPath(container, createApp(container)));
 */
export function createFastPath(c: Container, next: RequestListener): RequestListener {
  const guard = c.rateLimits.authFailures;

  async function serve(req: IncomingMessage, requestId: string, id: string, query: string) {
    const caller = await c.services.requireBearer(bearerToken(req.headers.authorization));
    return readTokenRoute(c, caller, { id }, parseQuery(query), auditOrigin(c, req, requestId));
  }

  return (req, res) => {
    const match = req.method === 'GET' && !hasBody(req) ? TOKEN_URL.exec(req.url ?? '') : null;
    if (!match?.[1]) {
      next(req, res);
      return;
    }
    // The route the Express instrumentation would have named (no span when tracing is off).
    trace.getActiveSpan()?.setAttribute('http.route', TOKEN_ROUTE).updateName(`GET ${TOKEN_ROUTE}`);
    const requestId = requestIdOf(req);
    observeRequest(c.logger, req, res, requestId, () => TOKEN_ROUTE, { summarise: true });
    const fail = (error: unknown) => {
      setResponseHeaders(res, requestId);
      answerError(c.logger, TOKEN_ROUTE, res, error);
    };
    // The same failed-authentication guard as the Express app's `rateLimits`, with no I/O.
    const keys = guard.blocking() ? authFailureKeys(c, req) : undefined;
    const blocked = keys ? guard.blockedFor(keys.ip) : undefined;
    if (blocked !== undefined) {
      fail(rateLimited(blocked));
      return;
    }
    serve(req, requestId, match[1], match[2] ?? '')
      .then(async (read) => {
        // Written in the event loop's check phase, together with the other answers read in
        // the same turn rather than one by one as each is ready: under load the peer is
        // woken once per batch instead of once per response (~20 % less server CPU per
        // read on the bench machine, docs/PERFORMANCE.md); when idle it waits for nothing.
        await nextTurn();
        sendToken(res, read, responseHeaders(requestId));
      })
      .catch(async (error: unknown) => {
        if (toBrokerError(error).status !== 401) throw error;
        throw (await recordAuthFailure(c, authFailureKeys(c, req))) ?? error;
      })
      .catch(fail);
  };
}

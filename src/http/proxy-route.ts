import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { Container } from '../container.js';
import { checkPhase } from '../eventually.js';
import { toBrokerError } from '../errors/index.js';
import type { ProxyAnswer } from '../proxy/proxy.js';
import { auditOrigin } from './audit-origin.js';
import { observeRequest, requestIdOf } from './middleware/observe.js';
import { setResponseHeaders } from './response-headers.js';
import { runServiceRequest } from './service-request.js';
import { serviceConnectionId } from './token-read.js';

/**
 * `ANY /v1/connections/:id/proxy/{path}`; the path and query are kept as sent
 * (proxy/target.ts decides what may go upstream).
 */
const PROXY_URL = /^\/v1\/connections\/([^/?]*)\/proxy(\/[^?]*)?(?:\?(.*))?$/s;

/** The proxy's route pattern (the `route` label of logs and metrics; never the raw URL). */
export const PROXY_ROUTE = '/v1/connections/:id/proxy/*path';

const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * Writes the provider's answer as it streams in; a broken upstream stream ends the
 * response abruptly. (`pipe`, not `pipeline`: the caller leaving is handled by the call
 * (`onCallerGone`), and `pipeline` costs an AbortController and a DOMException per answer.)
 */
function relay(res: ServerResponse, answer: ProxyAnswer, requestId: string): void {
  res.writeHead(answer.status, [
    ...answer.headers,
    'Broker-Attempts',
    String(answer.attempts),
    'Broker-Request-Id',
    requestId,
  ]);
  answer.body.on('error', () => res.destroy()).pipe(res);
}

/**
 * Tells the proxy when the caller's connection closes before its answer was written in
 * full; watched from the request's start, so a caller gone before the proxy asks is told at once.
 */
function callerPresence(res: ServerResponse): (leave: () => void) => void {
  let gone = false;
  let onGone: (() => void) | undefined;
  res.once('close', () => {
    if (res.writableFinished) return;
    gone = true;
    onGone?.();
  });
  return (leave) => {
    if (gone) leave();
    else onGone = leave;
  };
}

/**
 * The authenticated proxy on the raw `node:http` server in front of Express (like the
 * token read's fast path): bodies stream both ways, which Express's parsers would buffer.
 * Authentication, the failed-authentication guard, logs, metrics and errors are the same
 * functions the Express app uses; every answer the broker makes itself carries
 * `Broker-Error: <code>` and `Broker-Attempts`. Every other request falls through to `next`.
 *
 * @example
 * server.on('request', createProxyRoute(container, createFastPath(container, createApp(container))));
 */
export function createProxyRoute(c: Container, next: RequestListener): RequestListener {
  return (req, res) => {
    const match = PROXY_URL.exec(req.url ?? '');
    if (!match) {
      next(req, res);
      return;
    }
    trace
      .getActiveSpan()
      ?.setAttribute('http.route', PROXY_ROUTE)
      .updateName(`${req.method} ${PROXY_ROUTE}`);
    const requestId = requestIdOf(req);
    // Summed up at info like the token read's 200s: each proxied call is audited already.
    observeRequest(c.logger, req, res, requestId, () => PROXY_ROUTE, { summarise: true });
    const onCallerGone = callerPresence(res);
    void runServiceRequest(c, req, res, {
      route: PROXY_ROUTE,
      serve: (caller) => {
        // After authentication, like any unknown connection: still the broker's answer.
        const connectionId = serviceConnectionId({ id: match[1] });
        return c.proxy.forward(caller, {
          connectionId,
          method: req.method ?? 'GET',
          path: match[2] ?? '',
          query: match[3],
          headers: req.headers,
          body: hasBody(req) ? req : undefined,
          origin: auditOrigin(c, req, requestId),
          onCallerGone,
        });
      },
      // In the check phase with the turn's other answers, as the token read (token-read.ts).
      write: (answer) => checkPhase().then(() => relay(res, answer, requestId)),
      beforeError: (error) => {
        if (res.headersSent) return;
        const e = toBrokerError(error);
        setResponseHeaders(res, requestId);
        res.setHeader('Broker-Error', e.expose ? e.code : 'server_error');
        res.setHeader('Broker-Attempts', e.headers['Broker-Attempts'] ?? '0');
        // An unread body (a refusal before reading it) is not worth draining.
        if (!req.readableEnded) res.shouldKeepAlive = false;
      },
    });
  };
}

import type { IncomingMessage, RequestListener } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { Container } from '../container.js';
import { observeRequest, requestIdOf } from './middleware/observe.js';
import { responseHeaders, setResponseHeaders } from './response-headers.js';
import { runServiceRequest } from './service-request.js';
import { TOKEN_ROUTE, TOKEN_URL, tokenRead } from './token-read.js';

/** A GET carrying a body goes to Express, whose body parsers may refuse it. */
const hasBody = (req: IncomingMessage) =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * The token read — the one route services call on their own hot paths — answered on the
 * raw `node:http` server in front of Express, whose per-request machinery costs several
 * times the read itself (docs/PERFORMANCE.md). It meets each of the app's stages as
 * `preRouteStages` (app.ts) says, and then runs the same service request as the Express
 * route (`runServiceRequest` with `tokenRead`). Every other request falls through to `next`.
 *
 * @example
 * server.on('request', createFastPath(container, createApp(container)));
 */
export function createFastPath(c: Container, next: RequestListener): RequestListener {
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
    const read = tokenRead(c, req, res, {
      requestId,
      params: { id: match[1] },
      query: match[2] ?? '',
      headers: responseHeaders(requestId),
      beforeError: () => setResponseHeaders(res, requestId),
    });
    void runServiceRequest(c, req, res, read);
  };
}

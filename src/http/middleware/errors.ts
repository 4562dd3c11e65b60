import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Request, Response } from 'express';
import { BrokerError, toBrokerError } from '../../errors/index.js';
import type { ErrorBody } from '../../errors/schema.js';
import type { Logger } from '../../observability/logger.js';
import { consoleErrorPage } from '../../console/manage-pages.js';
import { html, page } from '../../views/html.js';

/** Paths answered with HTML pages rather than JSON (API.md: the browser pages). */
export const isBrowserPath = (path: string) =>
  path.startsWith('/connect/') ||
  path === '/oauth/callback' ||
  path.startsWith('/oauth/callback/') ||
  path === '/console' ||
  path.startsWith('/console/');

interface HttpError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/**
 * Maps the client errors of body-parser and the router (http-errors: a body that does not
 * parse, an unsupported charset or encoding, a path that does not percent-decode) to the
 * contract's codes.
 */
function fromHttpError(error: unknown): BrokerError | undefined {
  if (error instanceof BrokerError) return undefined;
  const e = error as HttpError | null;
  if (e?.type === 'entity.too.large') {
    return new BrokerError('payload_too_large', 'request body is too large');
  }
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  if (typeof e.type === 'string') {
    return new BrokerError('invalid_request', 'request body could not be parsed');
  }
  if (error instanceof URIError || e.expose === true) {
    return new BrokerError('invalid_request', 'the request path or query could not be decoded');
  }
  return undefined;
}

/**
 * Writes a JSON body on a plain `node:http` response (the Express app and the raw fast
 * path alike; every response is `no-store`, so there is no ETag).
 *
 * @example writeJson(res, 201, presentConnection(row))
 */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  writeJsonText(res, status, JSON.stringify(body));
}

/**
 * Writes serialised JSON with `headers` (a flat name, value list) added to those already
 * set, in one `writeHead` call.
 *
 * @example writeJsonText(res, 200, text, ['Broker-Refresh-Error', 'upstream_unavailable'])
 */
export function writeJsonText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: readonly string[] = [],
): void {
  res.writeHead(status, [
    ...headers,
    'Content-Type',
    'application/json; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(text)),
  ]);
  res.end(text);
}

/** Writes a BrokerError as `{error, error_description}` with its headers. */
export function sendJsonError(res: ServerResponse, error: BrokerError): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  const body: ErrorBody = error.expose
    ? { error: error.code, error_description: error.message, ...error.details }
    : { error: 'server_error', error_description: 'internal error' };
  writeJson(res, error.status, body);
}

/** The HTML form of an error for the browser pages (the console's with its navigation). */
export function renderErrorPage(error: BrokerError, path = ''): string {
  const description = error.expose
    ? error.message
    : 'Something went wrong on our side. Please try again later.';
  const code = error.expose ? error.code : 'server_error';
  if (path === '/console' || path.startsWith('/console/')) {
    const title = error.status === 404 ? 'Page not found' : 'Something went wrong';
    return consoleErrorPage({ title, description, code });
  }
  return page(
    'Something went wrong',
    html`<h1>Something went wrong</h1>
      <div class="error" role="alert">
        <p>${description}</p>
        <p>Error code: <code>${code}</code></p>
      </div>`,
  );
}

/**
 * Answers a failed request: logs unexposed errors with their cause, then JSON (or HTML on
 * the browser pages). The one error path of the Express app and the raw fast path.
 *
 * @example answerError(logger, '/v1/connections/x/token', res, error)
 */
export function answerError(
  logger: Logger,
  path: string,
  res: ServerResponse,
  error: unknown,
): void {
  const brokerError = fromHttpError(error) ?? toBrokerError(error);
  if (brokerError.status >= 500) {
    logger.error(
      { req_id: res.getHeader('X-Request-Id'), err: describeError(brokerError) },
      'request failed',
    );
  }
  if (res.headersSent) return;
  if (isBrowserPath(path)) {
    for (const [name, value] of Object.entries(brokerError.headers)) res.setHeader(name, value);
    const body = renderErrorPage(brokerError, path);
    res.statusCode = brokerError.expose ? brokerError.status : 500;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    return;
  }
  sendJsonError(res, brokerError);
}

/**
 * The one error middleware of the Express app (see {@link answerError}).
 * `onUnauthorized` runs before a 401 is sent (failed-authentication counting) and may
 * give the error to answer instead (a 429 once over the limit).
 */
export function errorHandler(
  logger: Logger,
  onUnauthorized?: (res: Response) => Promise<unknown>,
): ErrorRequestHandler {
  return async (error: unknown, req: Request, res: Response, _next) => {
    const status = (fromHttpError(error) ?? toBrokerError(error)).status;
    const instead = status === 401 && onUnauthorized ? await onUnauthorized(res) : undefined;
    answerError(logger, req.path, res, instead ?? error);
  };
}

/** An error and its causes as plain data: class, code and message only, never a request body. */
export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 3) return String(error);
  return {
    type: error.name,
    code: (error as { code?: unknown }).code,
    message: error.message,
    stack: error.stack?.split('\n').slice(0, 6).join('\n'),
    cause: error.cause === undefined ? undefined : describeError(error.cause, depth + 1),
  };
}

/**
 * Answers what Node's HTTP parser refuses before Express sees it (headers over the size
 * limit, malformed request lines) with the contract's JSON error instead of a bare status.
 *
 * @example
 * server.on('clientError', answerClientError);
 */
export function answerClientError(
  error: Error & { code?: string; rawPacket?: Buffer },
  socket: { writable: boolean; end(data: string): void; destroy(): void },
): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const body = JSON.stringify({
    error: 'invalid_request',
    error_description: tooLarge ? 'request headers are too large' : 'malformed HTTP request',
  });
  socket.end(
    `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\nConnection: close\r\n\r\n' +
      // A response to HEAD has no body, or the client reads it as the next response.
      (error.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ' ? '' : body),
  );
}

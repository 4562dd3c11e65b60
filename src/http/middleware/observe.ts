import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../observability/logger.js';
import { children, httpRequestDuration } from '../../observability/metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const durationOf = children((method, route, status) =>
  httpRequestDuration.labels(method, route, status),
);

/** The caller's `X-Request-Id` when it is sane, otherwise a new one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Records one finished request: a log line and the latency histogram. `route` is the
 * route pattern, never the raw URL (paths and queries can carry session tokens and codes).
 * Shared by the Express app and the raw fast path; the `X-Request-Id` header goes out with
 * the other response headers (response-headers.ts).
 */
export function observeRequest(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  route: () => string,
): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const pattern = route();
    durationOf(req.method ?? 'GET', pattern, String(res.statusCode)).observe(seconds);
    const level = res.statusCode >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          req_id: requestId,
          method: req.method,
          route: pattern,
          status: res.statusCode,
          ms: Math.round(seconds * 1e5) / 100,
        },
        'request',
      );
    }
  });
}

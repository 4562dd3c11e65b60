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

/** How often the successful requests of a summarised route make one `info` line. */
export const SUMMARY_INTERVAL_MS = 10_000;

/** Successful requests of one route since the last summary line. */
interface Tally {
  count: number;
  totalMs: number;
  maxMs: number;
  /** The slowest one's request id: what an operator looks up (audit trail, traces). */
  slowestReqId: string;
  since: number;
}

/** Per logger (one per broker), per route: the tallies not yet written, and their timer. */
const summaries = new WeakMap<
  Logger,
  { tallies: Map<string, Tally>; timer: NodeJS.Timeout | undefined }
>();

function writeSummaries(logger: Logger): void {
  const state = summaries.get(logger);
  if (!state) return;
  clearTimeout(state.timer);
  state.timer = undefined;
  const now = Date.now();
  for (const [route, t] of state.tallies) {
    logger.info(
      {
        route,
        status: 200,
        count: t.count,
        ms_mean: Math.round((t.totalMs / t.count) * 100) / 100,
        ms_max: Math.round(t.maxMs * 100) / 100,
        slowest_req_id: t.slowestReqId,
        window_s: Math.round((now - t.since) / 100) / 10,
      },
      'requests',
    );
  }
  state.tallies.clear();
}

function tally(logger: Logger, route: string, ms: number, requestId: string): void {
  let state = summaries.get(logger);
  if (!state) {
    state = { tallies: new Map(), timer: undefined };
    summaries.set(logger, state);
  }
  // The timer runs only while something is counted, so an idle broker writes nothing.
  if (state.timer === undefined) {
    state.timer = setTimeout(() => writeSummaries(logger), SUMMARY_INTERVAL_MS).unref();
  }
  const t = state.tallies.get(route);
  if (t === undefined) {
    state.tallies.set(route, {
      count: 1,
      totalMs: ms,
      maxMs: ms,
      slowestReqId: requestId,
      since: Date.now(),
    });
    return;
  }
  t.count++;
  t.totalMs += ms;
  if (ms > t.maxMs) {
    t.maxMs = ms;
    t.slowestReqId = requestId;
  }
}

/**
 * Writes the summary lines not yet written (a graceful stop), so no counted request is
 * lost from the log.
 */
export const flushRequestSummaries = (logger: Logger): void => writeSummaries(logger);

/**
 * Records one finished request: a log line and the latency histogram. `route` is the
 * route pattern, never the raw URL (paths and queries can carry session tokens and codes).
 * Shared by the Express app and the raw fast path; the `X-Request-Id` header goes out with
 * the other response headers (response-headers.ts).
 *
 * With `summarise` (the token read, which services call once per outbound API call), a
 * 200 at `info` is counted rather than logged: one `requests` line per route every
 * {@link SUMMARY_INTERVAL_MS} gives the count, mean and slowest latency and the slowest
 * request's id. A line per read cost ~40 % of the read's throughput, and each read is in
 * the audit trail with its request id anyway. Every other answer of the route (4xx, 5xx)
 * keeps its own line, and at `debug` every request has one.
 */
export function observeRequest(
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  route: () => string,
  options: { summarise?: boolean } = {},
): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const pattern = route();
    durationOf(req.method ?? 'GET', pattern, String(res.statusCode)).observe(seconds);
    const level = res.statusCode >= 500 ? 'error' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const ms = Math.round(seconds * 1e5) / 100;
    if (options.summarise && res.statusCode === 200 && !logger.isLevelEnabled('debug')) {
      tally(logger, pattern, ms, requestId);
      return;
    }
    logger[level](
      { req_id: requestId, method: req.method, route: pattern, status: res.statusCode, ms },
      'request',
    );
  });
}

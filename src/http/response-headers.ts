import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

/** Helmet's settings for every response, the API's and the pages' alike. */
const helmetHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  referrerPolicy: { policy: 'no-referrer' },
});

/**
 * The headers helmet sets, computed once (nothing in them depends on the request), plus
 * `Cache-Control: no-store`: nothing the broker answers may be cached.
 */
const RESPONSE_HEADERS: readonly (readonly [string, string])[] = (() => {
  const headers: [string, string][] = [];
  const collect = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmetHeaders({} as IncomingMessage, collect as unknown as ServerResponse, () => undefined);
  headers.push(['Cache-Control', 'no-store']);
  return headers;
})();

const FLAT_RESPONSE_HEADERS = RESPONSE_HEADERS.flat();

/**
 * Every response's headers with its request id, as the flat list `res.writeHead` takes.
 * The raw fast path hands them to one `writeHead` call: `setHeader` per header costs more
 * server time than the token read itself on the bench machine (docs/PERFORMANCE.md).
 *
 * @example writeJsonText(res, 200, text, responseHeaders(requestId))
 */
export const responseHeaders = (requestId: string): string[] => [
  ...FLAT_RESPONSE_HEADERS,
  'X-Request-Id',
  requestId,
];

/**
 * Sets the same headers on a response one by one (the Express app, whose routes may still
 * change them; the fast path's error answers).
 *
 * @example setResponseHeaders(res, requestId)
 */
export function setResponseHeaders(res: ServerResponse, requestId: string): void {
  const headers = responseHeaders(requestId);
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
}

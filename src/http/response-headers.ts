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
export const RESPONSE_HEADERS: readonly (readonly [string, string])[] = (() => {
  const headers: [string, string][] = [];
  const collect = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  helmetHeaders({} as IncomingMessage, collect as unknown as ServerResponse, () => undefined);
  headers.push(['Cache-Control', 'no-store']);
  return headers;
})();

/**
 * Sets the security and caching headers on a response (Express app and raw fast path).
 *
 * @example setResponseHeaders(res)
 */
export function setResponseHeaders(res: ServerResponse): void {
  for (const [name, value] of RESPONSE_HEADERS) res.setHeader(name, value);
}

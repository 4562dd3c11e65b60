import { invalidRequest } from '../errors/index.js';

/**
 * Percent-encodings that a server may decode into a path separator or a dot segment
 * (`%2e`, `%2f`, `%5c`), a NUL, or a double encoding of any of them (`%252e`).
 */
const ENCODED_SEPARATOR = /%(?:25)*(?:2e|2f|5c|00)/i;
/** `scheme:` at the start of the path: an absolute URL smuggled in as a path. */
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const refuse = (why: string) => invalidRequest(`proxy path: ${why}`);

/**
 * The checks of a proxied path (`''` or `/…`, as received, still percent-encoded) that need
 * no base: `.` and `..` segments, empty segments (`//host`), backslashes, encoded
 * separators or dots, an absolute URL, a fragment. Run before the connection's credential
 * is read, so that a refused path reads, audits and sends nothing.
 *
 * @throws BrokerError invalid_request
 */
export function checkProxyPath(path: string, query: string | undefined): void {
  if (path !== '' && !path.startsWith('/')) throw refuse('must start with /');
  if (path.includes('\\') || path.includes('#') || (query ?? '').includes('#')) {
    throw refuse('must not contain a backslash or a fragment');
  }
  if (ENCODED_SEPARATOR.test(path)) throw refuse('must not percent-encode slashes, dots or NUL');
  const segments = path.split('/').slice(1);
  if (segments.some((s, i) => s === '.' || s === '..' || (s === '' && i < segments.length - 1))) {
    throw refuse('must not contain dot or empty segments');
  }
  if (SCHEME.test(segments[0] ?? '')) throw refuse('must not be an absolute URL');
}

/**
 * The request target under `base` for a proxied path and raw query: {@link checkProxyPath},
 * then what a URL parser makes of it must stay under the base.
 *
 * @throws BrokerError invalid_request; nothing is sent for such a path.
 * @example proxyTarget(new URL('https://api.github.com'), '/user/repos', 'per_page=5').path // '/user/repos?per_page=5'
 */
export function proxyTarget(
  base: URL,
  path: string,
  query: string | undefined,
): { origin: string; path: string } {
  checkProxyPath(path, query);
  const basePath = base.pathname.replace(/\/+$/, '');
  const target = `${basePath}${path}` || '/';
  const withQuery = query === undefined ? target : `${target}?${query}`;
  // What a URL parser makes of it must still be the base's origin, under its path.
  const parsed = new URL(withQuery, base.origin);
  if (parsed.origin !== base.origin || !`${parsed.pathname}/`.startsWith(`${basePath}/`)) {
    throw refuse('leaves the api_base_url');
  }
  return { origin: base.origin, path: withQuery };
}

import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 hop-by-hop fields, and their legacy companions. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Request fields that speak for the caller or the broker, never for the provider (API.md). */
const CALLER_ONLY = new Set(['authorization', 'cookie', 'host', 'forwarded', 'expect']);

/** The fields a `Connection` header names: hop-by-hop as well. */
function namedByConnection(value: string | string[] | undefined): Set<string> {
  const list = Array.isArray(value) ? value.join(',') : (value ?? '');
  return new Set(
    list
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
}

const values = (v: string | string[] | number | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [String(v)];

/**
 * The caller's request headers the provider may see: all but `Authorization`, `Cookie`,
 * `Host`, `Forwarded`, `X-Forwarded-*`, `Broker-*`, `Expect`, the hop-by-hop set and any
 * field the `Connection` header names.
 *
 * @example const headers = forwardedRequestHeaders(req.headers) // { accept: 'application/json', … }
 */
export function forwardedRequestHeaders(
  incoming: IncomingHttpHeaders,
): Record<string, string | string[]> {
  const named = namedByConnection(incoming.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (
      HOP_BY_HOP.has(name) ||
      CALLER_ONLY.has(name) ||
      named.has(name) ||
      name.startsWith('x-forwarded-') ||
      name.startsWith('broker-')
    ) {
      continue;
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The provider's response headers as the caller gets them, flat (`writeHead`'s list):
 * all but the hop-by-hop set, the fields `Connection` names, `Set-Cookie` (the broker's
 * origin is not the provider's), and `Broker-*` (only the broker speaks those).
 *
 * @example res.writeHead(status, [...answeredHeaders(upstream.headers), 'Broker-Attempts', '1'])
 */
export function answeredHeaders(upstream: Record<string, string | string[] | undefined>): string[] {
  const named = namedByConnection(upstream.connection);
  const flat: string[] = [];
  for (const [name, value] of Object.entries(upstream)) {
    const lower = name.toLowerCase();
    if (
      HOP_BY_HOP.has(lower) ||
      named.has(lower) ||
      lower === 'set-cookie' ||
      lower.startsWith('broker-')
    ) {
      continue;
    }
    for (const v of values(value)) flat.push(name, v);
  }
  return flat;
}

import { Agent, getGlobalDispatcher, fetch as undiciFetch, type Dispatcher } from 'undici';
import { hostOf, isPrivateAddress, publicOnlyLookup } from '../webhooks/destination.js';
import { invalidRequest } from '../errors/index.js';

/**
 * Connections to providers whose addresses are checked as they are connected to: a host
 * that resolves to a loopback, private, link-local or metadata address is refused at
 * connect time, so the address checked is the address used (no DNS-rebinding gap), as for
 * outbound webhooks.
 */
const pinned = new Agent({ connect: { lookup: publicOnlyLookup } });

/**
 * The `fetch` for provider calls: Node's own where private destinations are allowed
 * (`PROVIDER_ALLOW_PRIVATE_URLS`, the default outside production), else undici's through
 * {@link pinned} (its own `fetch`, so that a refusal keeps its error code on `cause`).
 *
 * @example const response = await providerFetch(false)(url, init);
 */
export function providerFetch(allowPrivate: boolean): typeof fetch {
  if (allowPrivate) return fetch;
  // undici's Request/Response types differ from the DOM's by a version; the objects are alike.
  return ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: pinned,
    })) as unknown as typeof fetch;
}

/**
 * The dispatcher for provider calls made with undici's `request` (the token endpoint's):
 * {@link pinned} where private destinations are refused, else undici's keep-alive agent.
 *
 * @example await request(tokenEndpoint, { method: 'POST', body, dispatcher: providerDispatcher(false) });
 */
export const providerDispatcher = (allowPrivate: boolean): Dispatcher =>
  allowPrivate ? getGlobalDispatcher() : pinned;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Provider endpoints must be https; plain http only to loopback (tests, a local IdP), and
 * only where private destinations are allowed. Where they are not (production by
 * default), a loopback or private-range IP literal or a `localhost` name is refused too;
 * names are checked when connected to ({@link providerFetch}).
 *
 * @throws BrokerError invalid_request naming the field.
 * @example assertEndpointUrl('token_endpoint', 'https://idp.example.com/token', false);
 */
export function assertEndpointUrl(field: string, value: string, allowPrivate: boolean): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidRequest(`${field}: must be an absolute URL`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !(loopbackHttp && allowPrivate)) {
    throw invalidRequest(
      allowPrivate ? `${field}: must be https (http only for loopback)` : `${field}: must be https`,
    );
  }
  if (url.hash || url.username || url.password) {
    throw invalidRequest(`${field}: must not contain a fragment or credentials`);
  }
  if (allowPrivate) return;
  const host = hostOf(url).toLowerCase();
  const literal = /^[\d.]+$/.test(host) || host.includes(':');
  if (host === 'localhost' || host.endsWith('.localhost') || (literal && isPrivateAddress(host))) {
    throw invalidRequest(`${field}: loopback and private-range destinations are not allowed`);
  }
}

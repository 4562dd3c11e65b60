import createClient, { type Client } from 'openapi-fetch';
import { brokerErrorFrom } from './errors.js';
import type { paths } from './generated/openapi.js';
import type { TokenResult } from './types.js';

/** The broker's default `min_ttl` (API.md): a token valid for at least a minute more. */
const DEFAULT_MIN_TTL_SECONDS = 60;

/** How to reach the broker. */
export interface TokenBrokerClientOptions {
  /** The broker's base URL (`PUBLIC_URL`), e.g. `https://broker.internal`. */
  baseUrl: string;
  /**
   * The service credential: an API key, or a function giving one (a broker JWT from
   * `POST /oauth/token`, renewed by the caller), asked before every request.
   */
  credential: string | (() => string | Promise<string>);
  /** The fetch to use (default: the platform's). Every request goes through it. */
  fetch?: (request: Request) => Promise<Response>;
  /** Milliseconds since the epoch (default `Date.now`): what the token cache measures with. */
  now?: () => number;
}

/** Options of {@link TokenBrokerClient.getToken}. */
export interface GetTokenOptions {
  /** Seconds the token must stay valid (default 60); also the broker's `min_ttl`. */
  minTtl?: number;
}

interface CachedToken {
  token: TokenResult;
  /** `expires_at` in epoch milliseconds; null for a token without an expiry. */
  expiresAt: number | null;
}

/** Errors after which a cached token of the connection is certainly no good. */
const DROPS_CACHE = new Set(['not_found', 'revoked', 'reauthorization_required']);

/**
 * A client for the broker's service API: `api` is the openapi-fetch client typed from the
 * broker's OpenAPI document (every path), and the helpers add a token cache, the proxy
 * and typed errors on top.
 *
 * @example
 * const broker = createTokenBrokerClient({
 *   baseUrl: 'https://broker.internal',
 *   credential: process.env.TOKEN_BROKER_API_KEY!,
 * });
 * const token = await broker.getToken('conn_…', { minTtl: 120 });
 * const me = await broker.proxy('conn_…', 'user'); // GET {api_base_url}/user
 */
export function createTokenBrokerClient(options: TokenBrokerClientOptions) {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const now = options.now ?? Date.now;
  const credential = async () =>
    typeof options.credential === 'string' ? options.credential : options.credential();

  const api: Client<paths> = createClient<paths>({ baseUrl, fetch: send });
  api.use({
    async onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${await credential()}`);
      return request;
    },
  });

  const cache = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<CachedToken>>();
  const validFor = (entry: CachedToken, minTtl: number) =>
    entry.expiresAt !== null && now() < entry.expiresAt - minTtl * 1000;

  /** One token read at the broker; concurrent callers for one connection share it. */
  function read(connectionId: string, minTtl: number): Promise<CachedToken> {
    const running = (async () => {
      const { data, error, response } = await api.GET('/v1/connections/{id}/token', {
        params: { path: { id: connectionId }, query: { min_ttl: minTtl } },
      });
      if (!data) {
        const failure = brokerErrorFrom(response, error);
        if (DROPS_CACHE.has(failure.code)) cache.delete(connectionId);
        throw failure;
      }
      const refreshError = response.headers.get('broker-refresh-error');
      const entry: CachedToken = {
        token: refreshError ? { ...data, refreshError } : data,
        expiresAt: data.expires_at === null ? null : Date.parse(data.expires_at),
      };
      // A token without an expiry is not kept: nothing says when to ask again.
      if (entry.expiresAt !== null) cache.set(connectionId, entry);
      return entry;
    })().finally(() => {
      if (inflight.get(connectionId) === running) inflight.delete(connectionId);
    });
    inflight.set(connectionId, running);
    return running;
  }

  return {
    /** The typed openapi-fetch client; pair it with {@link unwrap} to throw typed errors. */
    api,

    /**
     * A token valid for at least `minTtl` more seconds. It is kept until
     * `expires_at - minTtl`, and concurrent calls for one connection make one request.
     *
     * @throws {BrokerError} e.g. `NotFoundError`, `ReauthorizationRequiredError`,
     *   `RevokedError`, `UpstreamUnavailableError` (with `retryAfter`).
     * @example
     * const { access_token } = await broker.getToken(connectionId, { minTtl: 300 });
     */
    async getToken(connectionId: string, opts: GetTokenOptions = {}): Promise<TokenResult> {
      const minTtl = opts.minTtl ?? DEFAULT_MIN_TTL_SECONDS;
      const cached = cache.get(connectionId);
      if (cached && validFor(cached, minTtl)) return cached.token;
      const shared = inflight.get(connectionId);
      if (shared) {
        const entry = await shared;
        if (entry.expiresAt === null || validFor(entry, minTtl)) return entry.token;
      }
      return (await read(connectionId, minTtl)).token;
    },

    /**
     * Forgets the cached token of a connection (e.g. after the provider refused it).
     *
     * @example
     * if (res.status === 401) broker.forgetToken(connectionId);
     */
    forgetToken(connectionId: string): void {
      cache.delete(connectionId);
    },

    /**
     * Calls the provider's API through the broker: `ANY /v1/connections/{id}/proxy/{path}`
     * forwards to `{api_base_url}/{path}` with the connection's credential injected. The
     * provider's answer is returned as is, whatever its status (it carries
     * `Broker-Attempts`); an answer the broker made itself (`Broker-Error`) is thrown.
     *
     * @param path the path under `api_base_url`, with its query if any (`repos/o/r/issues?state=open`)
     * @throws {BrokerError} e.g. `InvalidRequestError` (a path leaving `api_base_url`),
     *   `RateLimitedError` (the provider's quota is spent; `retryAfter`),
     *   `UpstreamUnavailableError` (circuit open or timeout).
     * @example
     * const res = await broker.proxy(connectionId, 'user/repos?per_page=5');
     * const repos = await res.json();
     * await broker.proxy(connectionId, 'repos/o/r/issues', {
     *   method: 'POST',
     *   headers: { 'content-type': 'application/json', 'idempotency-key': key },
     *   body: JSON.stringify({ title: 'Hello' }),
     * });
     */
    async proxy(connectionId: string, path: string, init: RequestInit = {}): Promise<Response> {
      const url = `${baseUrl}/v1/connections/${encodeURIComponent(connectionId)}/proxy/${path.replace(/^\/+/, '')}`;
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${await credential()}`);
      // fetch streams a ReadableStream body only in half duplex.
      const request = new Request(url, { ...init, headers, duplex: 'half' });
      const response = await send(request);
      if (!response.headers.has('broker-error')) return response;
      throw brokerErrorFrom(response, await response.json().catch(() => undefined));
    },
  };
}

/** The client {@link createTokenBrokerClient} returns. */
export type TokenBrokerClient = ReturnType<typeof createTokenBrokerClient>;

/**
 * The data of an openapi-fetch answer, or its error thrown as a typed `BrokerError`.
 *
 * @example
 * const connection = unwrap(
 *   await broker.api.GET('/v1/connections/{id}', { params: { path: { id } } }),
 * );
 */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(
  result: R,
): Exclude<R['data'], undefined> {
  if (!result.response.ok) throw brokerErrorFrom(result.response, result.error);
  return result.data as Exclude<R['data'], undefined>;
}

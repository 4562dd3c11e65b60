/**
 * A tiny typed client for Token Broker's service API, on the platform `fetch` (Node ≥ 20).
 * Copy this file into your service; it has no dependencies.
 *
 * @example
 * const broker = createTokenBrokerClient({
 *   baseUrl: 'https://broker.internal',
 *   apiKey: process.env.TOKEN_BROKER_API_KEY!,
 * });
 * const session = await broker.createConnectSession({ provider: 'github', subject: 'user-42' });
 * // send the user's browser to session.connect_url, then later:
 * const token = await broker.getToken(connectionId, { minTtl: 120 });
 * await fetch('https://api.github.com/user', {
 *   headers: { Authorization: `Bearer ${token.access_token}` },
 * });
 */

export type ConnectionStatus = 'active' | 'reauthorization_required' | 'revoked';

export interface Connection {
  id: string;
  provider: string;
  subject: string;
  status: ConnectionStatus;
  scopes: string[];
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  last_refreshed_at: string | null;
  last_error: string | null;
}

export interface Token {
  access_token: string;
  token_type: string;
  expires_at: string | null;
  scopes: string[];
  connection_id: string;
  provider: string;
  id_token?: string;
  /** Set when a refresh failed transiently and a still-valid token was returned instead. */
  refresh_error?: string;
}

export interface ConnectSession {
  id: string;
  token: string;
  connect_url: string;
  expires_at: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** The broker's error codes (API.md); branch on `code`, never on the description. */
export type BrokerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'not_found'
  | 'method_not_allowed'
  | 'reauthorization_required'
  | 'conflict'
  | 'revoked'
  | 'payload_too_large'
  | 'rate_limited'
  | 'upstream_unavailable'
  | 'server_error';

/** A non-2xx answer: `{error, error_description}` plus the status and `Retry-After`. */
export class BrokerApiError extends Error {
  override name = 'BrokerApiError';
  constructor(
    readonly status: number,
    readonly code: BrokerErrorCode,
    readonly description: string,
    /** Seconds to wait, from `Retry-After`, when the broker said. */
    readonly retryAfter: number | undefined,
    /** Quote it when reporting a `server_error`: the broker logs under this id. */
    readonly requestId: string | undefined,
  ) {
    super(`${status} ${code}: ${description}`);
  }
}

export interface ClientOptions {
  baseUrl: string;
  /** A service API key, or a broker JWT from POST /oauth/token. */
  apiKey: string;
  /** Milliseconds per call (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Creates the client; every method throws {@link BrokerApiError} on a non-2xx answer. */
export function createTokenBrokerClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.apiKey}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after'));
      throw new BrokerApiError(
        res.status,
        (typeof json.error === 'string' ? json.error : 'server_error') as BrokerErrorCode,
        typeof json.error_description === 'string' ? json.error_description : res.statusText,
        Number.isFinite(retry) && retry >= 0 ? retry : undefined,
        res.headers.get('x-request-id') ?? undefined,
      );
    }
    const refreshError = res.headers.get('broker-refresh-error');
    return (refreshError ? { ...json, refresh_error: refreshError } : json) as T;
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    /** Mints a single-use connect session; send the user's browser to `connect_url`. */
    createConnectSession: (input: {
      provider: string;
      subject: string;
      scopes?: string[];
      return_to?: string;
    }) => call<ConnectSession>('POST', '/v1/connect-sessions', input),

    listConnections: (
      filter: {
        provider?: string;
        subject?: string;
        status?: ConnectionStatus;
        limit?: number;
        cursor?: string;
      } = {},
    ) => {
      const query = new URLSearchParams(
        Object.entries(filter)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]): [string, string] => [k, String(v)]),
      ).toString();
      return call<Page<Connection>>('GET', `/v1/connections${query ? `?${query}` : ''}`);
    },

    getConnection: (connectionId: string) =>
      call<Connection>('GET', `/v1/connections/${id(connectionId)}`),

    /** A token valid for at least `minTtl` seconds (default 60), refreshed first if needed. */
    getToken: (connectionId: string, opts: { minTtl?: number } = {}) =>
      call<Token>(
        'GET',
        `/v1/connections/${id(connectionId)}/token${opts.minTtl === undefined ? '' : `?min_ttl=${opts.minTtl}`}`,
      ),

    /** Forces a refresh at the provider. */
    refresh: (connectionId: string) =>
      call<Token>('POST', `/v1/connections/${id(connectionId)}/refresh`),

    /** Revokes the connection at the provider and erases its tokens. */
    deleteConnection: (connectionId: string) =>
      call<undefined>('DELETE', `/v1/connections/${id(connectionId)}`),
  };
}

export type TokenBrokerClient = ReturnType<typeof createTokenBrokerClient>;

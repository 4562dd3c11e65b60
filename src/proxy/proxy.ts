import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelegateBackoff, handleWhen, retry } from 'cockatiel';
import type { Dispatcher } from 'undici';
import type { AuditOrigin } from '../audit/audit-log.js';
import type { Clock } from '../clock.js';
import { checkPhase } from '../eventually.js';
import { BrokerError, invalidRequest, rateLimited, upstreamUnavailable } from '../errors/index.js';
import { apiBaseFor } from '../providers/metadata.js';
import type { ProviderStore } from '../providers/store.js';
import { findTemplate } from '../providers/templates/index.js';
import type { ProviderRecord } from '../providers/types.js';
import { TransientUpstreamError, parseRetryAfter } from '../providers/upstream-errors.js';
import type { ServicePolicy } from '../services/service-store.js';
import type { TokenService, TokenView } from '../tokens/token-service.js';
import { prepareBody, type ProxyBody } from './body.js';
import { credentialFor, withCredentialQuery } from './credentials.js';
import { answeredHeaders, forwardedRequestHeaders } from './headers.js';
import { durationOf, rateLimitedOf, requestsOf, retriesOf } from './metrics.js';
import type { UpstreamPools } from './pools.js';
import { quotaSpentUntil, type RateMemory } from './rate-limits.js';
import { checkProxyPath, proxyTarget } from './target.js';

/** API.md: the injected token is valid for at least this long. */
const MIN_TOKEN_TTL_SECONDS = 30;
/** RFC 9110 §9.2.2 idempotent methods; others are retried only with an `Idempotency-Key`. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
const BACKOFF = { initialMs: 100, maxMs: 2_000 };

/** One proxied request as the HTTP layer hands it over. */
export interface ProxyCall {
  connectionId: string;
  method: string;
  /** `''` or `/…`, as received (still percent-encoded). */
  path: string;
  /** The raw query without `?`; undefined when there is none. */
  query: string | undefined;
  headers: IncomingHttpHeaders;
  /** The request stream when the request has a body. */
  body: Readable | undefined;
  origin: AuditOrigin;
  /**
   * Given the function to call once the caller has gone (at once if it has already): the
   * upstream request or back-off wait is abandoned, nothing retried. (A callback rather
   * than a second AbortSignal per call: creating and listening to one was ~2 % of a
   * proxied call's CPU.)
   */
  onCallerGone?: ((leave: () => void) => void) | undefined;
}

/** The provider's answer, streamed through. */
export interface ProxyAnswer {
  status: number;
  /** Flat `writeHead` list, hop-by-hop, `Set-Cookie` and `Broker-*` removed. */
  headers: string[];
  body: Readable;
  /** Upstream requests made. */
  attempts: number;
}

export interface ProxyDeps {
  tokens: Pick<TokenService, 'read' | 'renew'>;
  providers: Pick<ProviderStore, 'get'>;
  /** The provider's circuit breaker, shared with its refreshes (providers/resilience.ts). */
  breaker: { guard<T>(p: ProviderRecord, call: () => Promise<T>): Promise<T> };
  rateLimits: RateMemory;
  pools: UpstreamPools;
  clock: Clock;
  /** `PROXY_TIMEOUT_MS`: deadline of one call, retries included. */
  timeoutMs: number;
  /** `PROXY_MAX_ATTEMPTS`. */
  maxAttempts: number;
  /** `PROXY_BODY_LIMIT_BYTES`. */
  bodyLimitBytes: number;
  /** `PROVIDER_ALLOW_PRIVATE_URLS`: plain http and private addresses for api_base_url. */
  allowPrivate: boolean;
}

/** A 5xx answer, thrown inside the breaker so that it counts as a failure; it is still passed through. */
class FailedAnswer extends TransientUpstreamError {
  constructor(readonly response: Dispatcher.ResponseData) {
    super(`http_${response.statusCode}`, parseRetryAfter(header(response.headers, 'retry-after')));
  }
}

const header = (h: IncomingHttpHeaders, name: string) => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/** The answer with the attempt count, for a BrokerError the proxy makes itself. */
const withAttempts = (error: BrokerError, attempts: number) => {
  error.headers['Broker-Attempts'] = String(attempts);
  return error;
};

const contentLengthOf = (headers: IncomingHttpHeaders) => {
  const v = headers['content-length'];
  return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
};

/** Connection metadata and config as placeholder values (strings only). */
function placeholderValuesOf(token: TokenView): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(token.metadata)) if (typeof v === 'string') values[k] = v;
  return { ...values, ...token.connectionConfig };
}

/**
 * The authenticated proxy (API.md "Proxy"): a service's request forwarded to the
 * provider's `api_base_url` with the connection's credential injected, streamed both
 * ways; one refresh and one retry on a 401; retries with back-off on 429/502/503/504 and
 * connection errors where repeating is safe; the provider's rate limits remembered across
 * replicas; the provider's circuit breaker shared with its refreshes.
 *
 * @example
 * const proxy = createProxy({ tokens, providers, breaker: oauth, rateLimits, pools, clock, timeoutMs: 30_000, maxAttempts: 3, bodyLimitBytes: 10 << 20, allowPrivate: false });
 * const answer = await proxy.forward(service, { connectionId, method: 'GET', path: '/user', query: undefined, headers, body: undefined, origin });
 */
export function createProxy(deps: ProxyDeps) {
  /**
   * The connection's base URL by token view (the readers of a cached snapshot share one
   * view), for the provider record it was filled from: parsing and checking it for every
   * call was ~3 % of a proxied call's CPU.
   */
  const bases = new WeakMap<TokenView, { provider: ProviderRecord; base: URL }>();
  function baseOf(provider: ProviderRecord, token: TokenView): URL {
    const known = bases.get(token);
    if (known?.provider === provider) return known.base;
    const base = apiBaseFor(provider, placeholderValuesOf(token), deps.allowPrivate);
    bases.set(token, { provider, base });
    return base;
  }

  async function target(call: ProxyCall, token: TokenView) {
    const provider = await deps.providers.get(token.provider);
    if (!provider) throw invalidRequest(`provider "${token.provider}" has no api_base_url`);
    const api = provider.template ? findTemplate(provider.template)?.api : undefined;
    const base = baseOf(provider, token);
    // Checked with the caller's own query: a credential's query parameter is added per attempt.
    const { path } = proxyTarget(base, call.path, call.query);
    const scope = api?.quota === 'app' ? `p:${provider.key}` : `c:${call.connectionId}`;
    return { provider, api, base, path, scope };
  }

  async function forward(caller: ServicePolicy, call: ProxyCall): Promise<ProxyAnswer> {
    const started = deps.clock.now().getTime();
    const deadline = started + deps.timeoutMs;
    const limit = contentLengthOf(call.headers);
    if (call.body && limit !== undefined && limit > deps.bodyLimitBytes) {
      // Before anything else: nothing is read, audited or sent for an oversized body.
      throw withAttempts(
        new BrokerError(
          'payload_too_large',
          `the request body is larger than ${deps.bodyLimitBytes} bytes`,
        ),
        0,
      );
    }
    // A refused path reads no credential, so nothing is audited for it either.
    checkProxyPath(call.path, call.query);
    let token = (
      await deps.tokens.read(caller, call.connectionId, {
        minTtlSeconds: MIN_TOKEN_TTL_SECONDS,
        action: 'connection.proxy',
        origin: call.origin,
      })
    ).token;
    const { provider, api, base, path: checkedPath, scope } = await target(call, token);
    const blocked = await deps.rateLimits.blockedFor(scope);
    if (blocked !== undefined) {
      rateLimitedOf(provider.key).inc();
      throw withAttempts(rateLimited(blocked), 0);
    }
    const body = await prepareBody(call.body, limit, deps.bodyLimitBytes);
    const replayable = body.kind !== 'stream';
    const idempotent = IDEMPOTENT.has(call.method) || call.headers['idempotency-key'] !== undefined;
    const forwarded = forwardedRequestHeaders(call.headers);
    const pool = deps.pools.get(base.origin);
    let attempts = 0;
    // One signal for the call: the deadline, or the caller gone. It stays armed by the
    // caller while the answer streams, so a caller that leaves stops the upstream body too.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), deadline - deps.clock.now().getTime());
    let callerLeft = false;
    call.onCallerGone?.(() => {
      callerLeft = true;
      abort.abort();
    });
    const gone = () => callerLeft;
    /** The back-off before the next attempt (set by `again`), waited inside it: see `attempt`. */
    let delayMs = 0;

    /**
     * One upstream request with `t`'s credential, after the back-off `again` chose (waited
     * here, not by cockatiel, whose wait cannot be cut short: a caller that leaves during it
     * ends the call at once); 5xx and failures thrown inside the breaker.
     */
    async function attempt(t: TokenView): Promise<Dispatcher.ResponseData> {
      if (delayMs > 0) {
        await sleep(delayMs, undefined, { signal: abort.signal }).catch(() => undefined);
        delayMs = 0;
      } else {
        await checkPhase();
      }
      const credential = credentialFor(t, api);
      const path = credential.query
        ? proxyTarget(base, call.path, withCredentialQuery(call.query, credential.query)).path
        : checkedPath;
      const headers = credential.header
        ? { ...forwarded, [credential.header[0]]: credential.header[1] }
        : forwarded;
      if (gone()) throw callerGone();
      if (deadline - deps.clock.now().getTime() <= 0) throw deadlinePassed();
      try {
        const response = await deps.breaker.guard(provider, async () => {
          // Counted here: an open circuit sends nothing.
          attempts++;
          try {
            const r = await pool.request({
              method: call.method,
              path,
              headers,
              body: bodyOf(body),
              signal: abort.signal,
              bodyTimeout: deps.timeoutMs,
            });
            if (r.statusCode >= 500) throw new FailedAnswer(r);
            return r;
          } catch (error) {
            if (error instanceof FailedAnswer) throw error;
            // The caller's own body failing (over the limit), or the caller leaving, says
            // nothing about the provider: not a failure for its breaker.
            const refused = gone() ? callerGone() : bodyFailure(error);
            if (refused) return refused;
            throw new TransientUpstreamError(
              abort.signal.aborted ? 'timeout' : 'network',
              undefined,
              {
                cause: error,
              },
            );
          }
        });
        if (response instanceof BrokerError) throw response;
        remember(response);
        return response;
      } catch (error) {
        if (error instanceof FailedAnswer) remember(error.response);
        throw error;
      }
    }

    function remember(r: Dispatcher.ResponseData) {
      const until = quotaSpentUntil(r.statusCode, r.headers, deps.clock.now().getTime());
      if (until !== undefined) deps.rateLimits.record(scope, provider.key, until);
    }

    /** Whether to send again after `reason`, waiting `retryAfter` seconds if the provider said so. */
    function again(reason: string, retryAfter: number | undefined): boolean {
      if (!replayable || !idempotent || attempts >= deps.maxAttempts) return false;
      const cap = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (attempts - 1));
      delayMs = retryAfter !== undefined ? retryAfter * 1000 : Math.random() * cap;
      if (deps.clock.now().getTime() + delayMs >= deadline) return false;
      retriesOf(provider.key, reason).inc();
      return true;
    }

    const retrying = retry(
      handleWhen((e) => {
        if (!(e instanceof TransientUpstreamError)) return false;
        if (e.errorClass === 'circuit_open' || e.errorClass === 'timeout') return false;
        const status = e instanceof FailedAnswer ? e.response.statusCode : undefined;
        if (status !== undefined && !RETRY_STATUSES.has(status)) return false;
        const go = again(e.errorClass, e.retryAfterSeconds);
        if (go && e instanceof FailedAnswer) void e.response.body.dump().catch(() => undefined);
        return go;
      }).orWhenResult((r) => {
        const response = r as Dispatcher.ResponseData;
        if (response.statusCode !== 429) return false;
        const go = again('http_429', parseRetryAfter(header(response.headers, 'retry-after')));
        if (go) void response.body.dump().catch(() => undefined);
        return go;
      }),
      { maxAttempts: deps.maxAttempts - 1, backoff: new DelegateBackoff(() => 0) },
    );

    /** The attempts with retries; a 5xx that is not retried is answered as it came. */
    async function send(t: TokenView): Promise<Dispatcher.ResponseData> {
      try {
        // Once the caller has left (or the deadline passed) no retry is scheduled.
        return await retrying.execute(() => attempt(t), abort.signal);
      } catch (error) {
        if (error instanceof FailedAnswer) return error.response;
        throw upstreamError(error, attempts);
      }
    }

    try {
      let response = await send(token);
      if (response.statusCode === 401 && replayable && attempts < deps.maxAttempts) {
        const renewed = await deps.tokens.renew(caller, call.connectionId, token, call.origin);
        if (renewed) {
          void response.body.dump().catch(() => undefined);
          retriesOf(provider.key, 'unauthorized').inc();
          token = renewed;
          response = await send(token);
        }
      }
      durationOf(provider.key).observe((deps.clock.now().getTime() - started) / 1000);
      requestsOf(provider.key, call.method, `${Math.floor(response.statusCode / 100)}xx`).inc();
      return {
        status: response.statusCode,
        headers: answeredHeaders(response.headers),
        body: response.body,
        attempts,
      };
    } catch (error) {
      if (gone()) {
        // Nobody was answered: not a 4xx or 5xx (a caller leaving during a back-off wait too).
        requestsOf(provider.key, call.method, 'caller_gone').inc();
      } else {
        const status = error instanceof BrokerError ? error.status : 500;
        requestsOf(provider.key, call.method, `${Math.floor(status / 100)}xx`).inc();
      }
      throw error instanceof BrokerError ? withAttempts(error, attempts) : error;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    forward,
    /** Closes the upstream pools (graceful shutdown). */
    close: () => deps.pools.close(),
  };
}

export type Proxy = ReturnType<typeof createProxy>;

/** Never sent (nobody is there to read it): ends the call and its log line says why. */
const callerGone = () =>
  new BrokerError('invalid_request', 'the caller closed the connection before the answer');

const deadlinePassed = () =>
  new TransientUpstreamError('timeout', undefined, { cause: new Error('proxy deadline passed') });

function bodyOf(body: ProxyBody): Buffer | Readable | null {
  if (body.kind === 'kept') return body.bytes;
  if (body.kind === 'stream') return body.stream;
  return null;
}

/** The caller's body error (payload_too_large), wherever undici wrapped it. */
function bodyFailure(error: unknown): BrokerError | undefined {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof BrokerError) return e;
    e = e.cause;
  }
  return undefined;
}

/** A failure with no answer to pass through, as the contract's error. */
function upstreamError(error: unknown, attempts: number): unknown {
  if (error instanceof BrokerError) return error;
  if (!(error instanceof TransientUpstreamError)) return error;
  if (error.errorClass === 'circuit_open') {
    return upstreamUnavailable('the provider is failing; the broker is not calling it for now', {
      retryAfterSeconds: error.retryAfterSeconds,
      status: 503,
      cause: error,
    });
  }
  if (error.errorClass === 'timeout') {
    return upstreamUnavailable(`the provider did not answer in time (${attempts} attempts)`, {
      status: 504,
      cause: error,
    });
  }
  return upstreamUnavailable('the provider could not be reached', { status: 502, cause: error });
}

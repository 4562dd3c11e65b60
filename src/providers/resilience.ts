import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  circuitBreaker,
  handleWhen,
  noop,
  retry,
  wrap,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import { Gauge } from 'prom-client';
import { registry } from '../observability/metrics.js';
import type { ProviderOAuth } from './oauth-client.js';
import type { ProviderRecord } from './types.js';
import { TransientUpstreamError, classifyUpstreamError } from './upstream-errors.js';

export interface ResilienceOptions {
  /** Consecutive transient failures that open a provider's circuit. */
  breakerThreshold: number;
  /** How long an open circuit waits before letting one probe through (half-open). */
  halfOpenAfterMs: number;
  /** Attempts per call, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceOptions = {
  breakerThreshold: 5,
  halfOpenAfterMs: 30_000,
  maxAttempts: 3,
  initialDelayMs: 200,
  maxDelayMs: 2_000,
};

export const circuitStateGauge = new Gauge({
  name: 'token_broker_circuit_state',
  help: 'Circuit breaker state per provider: 0 closed, 1 open, 2 half-open',
  labelNames: ['provider'] as const,
  registers: [registry],
});

/**
 * Failures a refresh may be retried on within one call: the provider surely did not use the
 * refresh token (connection refused, 429, 503). A timeout or a 500 may have rotated it
 * upstream, and a second call with the same token would trip reuse detection.
 */
const SAFE_TO_REPEAT_REFRESH = new Set(['network', 'http_429', 'http_503']);

/** Full-jitter exponential delay, or the provider's Retry-After when it is short enough. */
function backoff(o: ResilienceOptions) {
  return new DelegateBackoff<{ attempt: number; result: { error: Error } | { value: unknown } }>(
    (ctx) => {
      const error = 'error' in ctx.result ? ctx.result.error : undefined;
      if (error instanceof TransientUpstreamError && error.retryAfterSeconds !== undefined) {
        return error.retryAfterSeconds * 1000;
      }
      const cap = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (ctx.attempt - 1));
      return Math.random() * cap;
    },
  );
}

/**
 * Wraps provider calls in cockatiel policies: a circuit breaker per provider (one probe
 * per half-open interval during an outage instead of a storm), and retries with
 * exponential back-off and full jitter that honour `Retry-After` — only where repeating
 * the call is safe. Failures still come out as Transient/PermanentUpstreamError; an open
 * circuit is a TransientUpstreamError of class `circuit_open`.
 *
 * @example
 * const oauth = withResilience(createProviderOAuth({ timeoutSeconds: 10 }));
 */
export function withResilience(
  oauth: ProviderOAuth,
  options: Partial<ResilienceOptions> = {},
): ResilientOAuth {
  const o = { ...DEFAULT_RESILIENCE, ...options };
  const breakers = new Map<string, { version: number; breaker: CircuitBreakerPolicy }>();

  /** A provider's breaker; a changed provider (new endpoints, new secret) starts closed. */
  const breakerFor = (p: ProviderRecord) => {
    const version = p.updatedAt.getTime();
    const existing = breakers.get(p.key);
    if (existing?.version === version) return existing.breaker;
    const breaker = circuitBreaker(
      handleWhen((e) => e instanceof TransientUpstreamError),
      { halfOpenAfter: o.halfOpenAfterMs, breaker: new ConsecutiveBreaker(o.breakerThreshold) },
    );
    breaker.onStateChange((state) => circuitStateGauge.set({ provider: p.key }, stateValue(state)));
    circuitStateGauge.set({ provider: p.key }, 0);
    breakers.set(p.key, { version, breaker });
    return breaker;
  };

  const retrying = (canRepeat: (e: TransientUpstreamError) => boolean) =>
    retry(
      handleWhen(
        (e) =>
          e instanceof TransientUpstreamError &&
          canRepeat(e) &&
          (e.retryAfterSeconds ?? 0) * 1000 <= o.maxDelayMs,
      ),
      { maxAttempts: o.maxAttempts - 1, backoff: backoff(o) },
    );
  const refreshRetry = retrying((e) => SAFE_TO_REPEAT_REFRESH.has(e.errorClass));
  const revokeRetry = retrying(() => true);

  async function run<T>(outer: IPolicy, p: ProviderRecord, call: () => Promise<T>): Promise<T> {
    const breaker = breakerFor(p);
    try {
      return await wrap(outer, breaker).execute(async () => {
        try {
          return await call();
        } catch (error) {
          throw classifyUpstreamError(error);
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new TransientUpstreamError('circuit_open', Math.ceil(o.halfOpenAfterMs / 1000), {
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    ...oauth,
    refresh: (p, refreshToken) => run(refreshRetry, p, () => oauth.refresh(p, refreshToken)),
    revoke: (p, token, hint) => run(revokeRetry, p, () => oauth.revoke(p, token, hint)),
    // A client credentials grant holds no single-use secret: repeating it is always safe.
    clientCredentials: (p, scopes) => run(revokeRetry, p, () => oauth.clientCredentials(p, scopes)),
    /**
     * Runs `call` (one proxied request, src/proxy) inside the provider's breaker, the same
     * one its refreshes use: a TransientUpstreamError it throws counts as a failure, an
     * open circuit throws TransientUpstreamError `circuit_open` without calling.
     */
    guard: <T>(p: ProviderRecord, call: () => Promise<T>): Promise<T> => run(noop, p, call),
    /** The breaker state of one provider (for tests, metrics and the doctor). */
    circuitState: (provider: string) =>
      breakers.get(provider)?.breaker.state ?? CircuitState.Closed,
  };
}

export type ResilientOAuth = ProviderOAuth & {
  circuitState(provider: string): CircuitState;
  guard<T>(p: ProviderRecord, call: () => Promise<T>): Promise<T>;
};

const stateValue = (s: CircuitState) =>
  s === CircuitState.Open ? 1 : s === CircuitState.HalfOpen ? 2 : 0;

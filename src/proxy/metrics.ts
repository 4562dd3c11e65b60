import { Counter, Histogram } from 'prom-client';
import { children, registry } from '../observability/metrics.js';

export const proxyRequests = new Counter({
  name: 'token_broker_proxy_requests_total',
  help: 'Proxied calls by provider, method and answered status class (1xx–5xx; broker answers included; caller_gone: the caller left before its answer, e.g. during a back-off wait)',
  labelNames: ['provider', 'method', 'status_class'] as const,
  registers: [registry],
});

export const proxyDuration = new Histogram({
  name: 'token_broker_proxy_duration_seconds',
  help: 'Proxied calls by provider: from the request to the answer head, retries included',
  labelNames: ['provider'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const proxyRetries = new Counter({
  name: 'token_broker_proxy_retries_total',
  help: 'Upstream requests sent again by the proxy, by provider and reason (http_429, http_503, network, unauthorized, …)',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

export const proxyRateLimited = new Counter({
  name: 'token_broker_proxy_rate_limited_total',
  help: 'Proxied calls answered 429 from the rate-limit memory without calling the provider, by provider',
  labelNames: ['provider'] as const,
  registers: [registry],
});

// Children made once: the proxy is a hot path (metrics.ts `children`).
export const requestsOf = children((provider, method, statusClass) =>
  proxyRequests.labels(provider, method, statusClass),
);
export const durationOf = children((provider) => proxyDuration.labels(provider));
export const retriesOf = children((provider, reason) => proxyRetries.labels(provider, reason));
export const rateLimitedOf = children((provider) => proxyRateLimited.labels(provider));

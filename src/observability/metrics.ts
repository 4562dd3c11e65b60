import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The broker's one metrics registry; metric names are stable, labels never hold ids or subjects. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

/**
 * A metric's child for each combination of label values, made once: prom-client checks and
 * hashes a label object on every call otherwise, which the token read pays per request.
 *
 * @example
 * const byRoute = children((method: string, route: string) => histogram.labels(method, route));
 * byRoute('GET', '/healthz').observe(0.001);
 */
export function children<T>(make: (...values: string[]) => T): (...values: string[]) => T {
  // Nested maps, one level per label: joining the values into one key string per call
  // (then hashing it) cost more than the lookup (docs/PERFORMANCE.md).
  const root = new Map<string, unknown>();
  return (...values) => {
    let level = root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[i]!, (next = new Map()));
      level = next;
    }
    const key = values[last] ?? '';
    let child = level.get(key) as T | undefined;
    if (child === undefined) {
      child = make(...values);
      level.set(key, child);
    }
    return child;
  };
}

export const httpRequestDuration = new Histogram({
  name: 'token_broker_http_request_duration_seconds',
  help: 'HTTP requests by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'token_broker_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: delivered, retry, failed',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const webhookBacklog = new Gauge({
  name: 'token_broker_webhook_backlog',
  help: 'Webhook events not yet fanned out plus deliveries waiting to be sent',
  registers: [registry],
});

export const tokenReads = new Counter({
  name: 'token_broker_token_reads_total',
  help: 'Token reads by services (REST and token exchange) by provider and outcome',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const refreshes = new Counter({
  name: 'token_broker_refreshes_total',
  help: 'Refresh grants sent to providers, by provider and outcome (success, permanent, transient)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

export const refreshDuration = new Histogram({
  name: 'token_broker_refresh_duration_seconds',
  help: 'Duration of refresh grants at the provider',
  labelNames: ['provider'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const upstreamErrors = new Counter({
  name: 'token_broker_upstream_errors_total',
  help: 'Provider failures by provider and error class (invalid_grant, http_503, timeout, …)',
  labelNames: ['provider', 'class'] as const,
  registers: [registry],
});

/**
 * The catalog of every metric the dashboard and the alert rules may use, with its type
 * and labels. Code registering a `token_broker_*` metric uses exactly the name and labels
 * listed here; `test/ops/metric-catalog.test.ts` checks the registry, the Grafana
 * dashboard and the Prometheus rules against it. Labels never hold a subject, a
 * connection id or anything else unbounded.
 */
export interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram';
  labels: readonly string[];
  help: string;
  /** Who produces the series: the broker's registry, or Prometheus itself (`up`). */
  source: 'broker' | 'prometheus';
}

const broker = (type: MetricSpec['type'], labels: readonly string[], help: string): MetricSpec => ({
  type,
  labels,
  help,
  source: 'broker',
});

export const METRIC_CATALOG = {
  token_broker_http_request_duration_seconds: broker(
    'histogram',
    ['method', 'route', 'status'],
    'HTTP requests by method, route pattern and status code',
  ),
  token_broker_db_pool_connections: broker(
    'gauge',
    ['state'],
    'Postgres pool connections of this replica by state: total, idle, waiting (callers queued for one)',
  ),
  token_broker_db_pool_max: broker('gauge', [], 'Largest size of this replica’s Postgres pool'),
  token_broker_db_up: broker(
    'gauge',
    [],
    '1 when this replica reached Postgres at the last scrape, 0 otherwise',
  ),
  token_broker_token_reads_total: broker(
    'counter',
    ['provider', 'outcome'],
    'Token reads by services (REST and token exchange) by provider and outcome (success or the error code)',
  ),
  token_broker_cache_lookups_total: broker(
    'counter',
    ['cache', 'result'],
    'Read cache lookups by cache and result: hit, miss, off (change feed not fresh: database read)',
  ),
  token_broker_refreshes_total: broker(
    'counter',
    ['provider', 'outcome'],
    'Refresh grants at providers by outcome: success, permanent (refused: the connection needs reauthorization), transient',
  ),
  token_broker_refresh_duration_seconds: broker(
    'histogram',
    ['provider'],
    'Duration of refresh grants at the provider',
  ),
  token_broker_upstream_errors_total: broker(
    'counter',
    ['provider', 'class'],
    'Provider failures by error class (invalid_grant, http_503, timeout, …)',
  ),
  token_broker_provider_faults_total: broker(
    'counter',
    ['provider', 'class'],
    'Refreshes refused because the provider rejects the broker’s client (invalid_client, unauthorized_client)',
  ),
  token_broker_connect_flows_total: broker(
    'counter',
    ['provider', 'outcome'],
    'Consent flows by outcome: started, completed, failed',
  ),
  token_broker_webhook_deliveries_total: broker(
    'counter',
    ['outcome'],
    'Webhook delivery attempts by outcome: delivered, retry, failed, refused',
  ),
  token_broker_webhook_backlog: broker(
    'gauge',
    [],
    'Webhook events not yet fanned out plus deliveries waiting to be sent (shared queue)',
  ),
  token_broker_provider_webhooks_total: broker(
    'counter',
    ['provider', 'outcome'],
    'Inbound provider webhooks by provider and outcome: received, verified, duplicate, handshake, forwarded',
  ),
  token_broker_provider_webhook_rejections_total: broker(
    'counter',
    ['provider', 'reason'],
    'Refused inbound provider webhooks by provider and reason (bad_signature, stale_timestamp, …)',
  ),
  token_broker_refresh_backlog: broker(
    'gauge',
    [],
    'Connections inside the refresh window still waiting for the refresher (shared)',
  ),
  token_broker_circuit_state: broker(
    'gauge',
    ['provider'],
    'Circuit breaker state per provider on this replica: 0 closed, 1 open, 2 half-open',
  ),
  token_broker_proxy_requests_total: broker(
    'counter',
    ['provider', 'method', 'status_class'],
    'Proxied calls by provider, method and answered status class (1xx–5xx; broker answers included; caller_gone: the caller left before its answer, e.g. during a back-off wait)',
  ),
  token_broker_proxy_duration_seconds: broker(
    'histogram',
    ['provider'],
    'Proxied calls by provider: from the request to the answer head, retries included',
  ),
  token_broker_proxy_retries_total: broker(
    'counter',
    ['provider', 'reason'],
    'Upstream requests sent again by the proxy, by provider and reason (http_429, http_503, network, unauthorized, …)',
  ),
  token_broker_proxy_rate_limited_total: broker(
    'counter',
    ['provider'],
    'Proxied calls answered 429 from the rate-limit memory without calling the provider, by provider',
  ),
  process_resident_memory_bytes: broker('gauge', [], 'Resident memory of the process'),
  process_cpu_seconds_total: broker('counter', [], 'CPU time of the process'),
  nodejs_eventloop_lag_p99_seconds: broker('gauge', [], 'Event loop lag, 99th percentile'),
  up: {
    type: 'gauge',
    labels: ['job', 'instance'],
    help: 'Set by Prometheus: 1 when the last scrape of the target succeeded',
    source: 'prometheus',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRIC_CATALOG;

/** Label names that would make a series per user or per connection; never allowed. */
export const FORBIDDEN_LABELS: ReadonlySet<string> = new Set([
  'subject',
  'connection',
  'connection_id',
  'id',
  'user',
  'user_id',
  'session',
  'service_id',
  'token',
]);

/**
 * The catalog name a sample or PromQL identifier belongs to, undoing the suffixes
 * Prometheus adds to histograms (`_bucket`, `_sum`, `_count`); undefined when unknown.
 *
 * @example
 * catalogNameOf('token_broker_refresh_duration_seconds_bucket'); // 'token_broker_refresh_duration_seconds'
 */
export function catalogNameOf(identifier: string): MetricName | undefined {
  if (identifier in METRIC_CATALOG) return identifier as MetricName;
  const base = identifier.replace(/_(bucket|sum|count)$/, '');
  const spec = (METRIC_CATALOG as Record<string, MetricSpec>)[base];
  return spec?.type === 'histogram' ? (base as MetricName) : undefined;
}

import { Gauge, Histogram } from 'prom-client';
import { registry } from '../observability/metrics.js';

// Refreshes by provider and outcome, and their latency, are counted by the token service
// (token_broker_refreshes_total, token_broker_refresh_duration_seconds); circuit state
// by the resilience wrapper (token_broker_circuit_state).

export const refreshBacklog = new Gauge({
  name: 'token_broker_refresh_backlog',
  help: 'Active connections whose refresh is due but not done yet (after the last sweep)',
  registers: [registry],
});

export const sweepDuration = new Histogram({
  name: 'token_broker_refresh_sweep_duration_seconds',
  help: 'Duration of one refresher sweep on this replica',
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

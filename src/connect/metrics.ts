import { Counter } from 'prom-client';
import { registry } from '../observability/metrics.js';

/** Consent flows by provider key and outcome (`started`, `completed`, `failed`). */
export const connectFlows = new Counter({
  name: 'token_broker_connect_flows_total',
  help: 'Consent flows by provider and outcome (started, completed, failed)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

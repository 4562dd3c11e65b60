import { Counter } from 'prom-client';
import { registry } from '../observability/metrics.js';

/**
 * Inbound provider webhooks by outcome: received, verified, duplicate, handshake,
 * forwarded (queued as `provider.webhook` for the app's endpoints).
 */
export const providerWebhooks = new Counter({
  name: 'token_broker_provider_webhooks_total',
  help: 'Inbound provider webhooks by provider and outcome: received, verified, duplicate, handshake, forwarded',
  labelNames: ['provider', 'outcome'] as const,
  registers: [registry],
});

/** Refused inbound provider webhooks by reason; `provider` is `unknown` for unregistered keys. */
export const providerWebhookRejections = new Counter({
  name: 'token_broker_provider_webhook_rejections_total',
  help: 'Refused inbound provider webhooks by provider and reason (bad_signature, stale_timestamp, …)',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

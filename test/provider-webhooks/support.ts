import { createHmac } from 'node:crypto';
import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import { registerProvider } from '../support/factories.js';

/** Registers a provider from a built-in template through the admin API. */
export const registerFromTemplate = (
  broker: TestBroker,
  key: string,
  template: string,
  webhookSecret?: string,
) =>
  registerProvider(broker, {
    key,
    template,
    client_id: 'client',
    client_secret: 'client-secret',
    ...(webhookSecret === undefined ? {} : { webhook_secret: webhookSecret }),
  });

/** A GitHub delivery as GitHub sends it: `X-Hub-Signature-256` over the exact body. */
export function githubDelivery(
  broker: TestBroker,
  key: string,
  secret: string,
  input: { event: string; deliveryId: string; body: unknown },
) {
  const body = JSON.stringify(input.body);
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return request(broker.url)
    .post(`/webhooks/providers/${key}`)
    .set('content-type', 'application/json')
    .set('x-github-event', input.event)
    .set('x-github-delivery', input.deliveryId)
    .set('x-hub-signature-256', `sha256=${signature}`)
    .send(body);
}

/** provider.webhook events in the outbox, and receipts: what "nothing stored" counts. */
export async function stored(broker: TestBroker) {
  const events = await broker.db.prisma.webhookEvent.count({ where: { type: 'provider.webhook' } });
  const receipts = await broker.db.prisma.providerWebhookReceipt.count();
  return { events, receipts };
}

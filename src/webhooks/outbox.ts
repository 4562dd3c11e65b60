import type { Prisma } from '../generated/prisma/client.js';
import { newId } from '../ids.js';
import type { Keyring } from '../vault/keyring.js';

export const WEBHOOK_EVENT_TYPES = [
  'connection.created',
  'connection.refreshed',
  'connection.refresh_failed',
  'connection.reauthorization_required',
  'connection.revoked',
  'provider.webhook',
  'provider.misconfigured',
  'provider.recovered',
] as const;

/** The Postgres NOTIFY channel that tells webhook workers new work is there. */
export const WEBHOOK_CHANNEL = 'webhook_events';

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The `data` of every event; never a token. */
export interface ConnectionEventData {
  connection_id: string;
  /** The owning service; null for a connection no service owns (older, unattributed). */
  service_id: string | null;
  provider: string;
  subject: string;
  status: string;
  /** Error class (`invalid_grant`, `http_503`, `timeout`…) for failure events. */
  error?: string;
  /** On `connection.created` when an existing (provider, subject) connected again. */
  reconnected?: boolean;
}

/** The `data` of `provider.misconfigured` / `provider.recovered`; never a secret. */
export interface ProviderEventData {
  provider: string;
  status: 'active' | 'misconfigured';
  /** What the provider answered (`invalid_client`, `unauthorized_client`). */
  error?: string;
}

/** The stored body of an outbox event (what endpoints receive). */
export const eventPayload = (
  id: string,
  type: WebhookEventType,
  data: ConnectionEventData | ProviderEventData,
  now: Date,
) => ({ id, type, timestamp: now.toISOString(), data: { ...data } });

/**
 * Writes an event into the outbox inside the caller's transaction, so it exists exactly
 * when the state change that caused it does. The webhook worker fans it out to endpoints.
 *
 * @example
 * await prisma.$transaction(async (tx) => {
 *   await tx.connection.update(...);
 *   await enqueueEvent(tx, 'connection.revoked', { connection_id, service_id, provider, subject, status: 'revoked' });
 * });
 */
export async function enqueueEvent(
  tx: Prisma.TransactionClient,
  type: WebhookEventType,
  data: ConnectionEventData | ProviderEventData,
  now = new Date(),
): Promise<string> {
  const id = newId('msg');
  await tx.webhookEvent.create({
    data: { id, type, createdAt: now, payload: { ...eventPayload(id, type, data, now) } },
  });
  // Delivered on commit: wakes the webhook workers instead of waiting for their next poll.
  await tx.$executeRaw`SELECT pg_notify(${WEBHOOK_CHANNEL}, '')`;
  return id;
}

/** Where a sealed event body's ciphertext belongs (its AAD). */
export const sealedPayloadContext = (id: string) => ({
  table: 'webhook_events',
  id,
  field: 'sealed_payload',
});

/**
 * Like {@link enqueueEvent} for an event whose `data` may hold personal data (a provider's
 * webhook payload): the whole body is stored encrypted, and `payload` keeps the envelope
 * with `data` reduced to `summary`. The worker decrypts it when it sends.
 *
 * @example
 * await enqueueSealedEvent(tx, keyring, 'provider.webhook', data, { provider, delivery_id });
 */
export async function enqueueSealedEvent(
  tx: Prisma.TransactionClient,
  keyring: Keyring,
  type: WebhookEventType,
  data: Record<string, unknown>,
  summary: Record<string, unknown>,
  now = new Date(),
): Promise<string> {
  const id = newId('msg');
  const envelope = { id, type, timestamp: now.toISOString() };
  await tx.webhookEvent.create({
    data: {
      id,
      type,
      createdAt: now,
      payload: { ...envelope, data: summary } as Prisma.InputJsonValue,
      keyId: keyring.currentKid,
      sealedPayload: keyring.encrypt(
        JSON.stringify({ ...envelope, data }),
        sealedPayloadContext(id),
      ),
    },
  });
  await tx.$executeRaw`SELECT pg_notify(${WEBHOOK_CHANNEL}, '')`;
  return id;
}

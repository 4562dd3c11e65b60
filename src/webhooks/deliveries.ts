import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { conflict, notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { WEBHOOK_CHANNEL, WEBHOOK_EVENT_TYPES, type WebhookEventType } from './outbox.js';
import { timestamp } from '../validate.js';
import { createdAtAfter, createdAtKey, createdAtOrder, keysetPage, type Page } from '../db/page.js';

/** Delivery states: waiting (or in flight), done, or given up. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery as the admin API shows it. */
export const deliverySchema = z.object({
  id: z.string(),
  event_id: z.string().describe('also the webhook-id header of every attempt'),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  endpoint_id: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_latency_ms: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: timestamp.nullable().describe('null once the delivery is settled'),
  created_at: timestamp,
  updated_at: timestamp,
});

export type DeliveryView = z.output<typeof deliverySchema>;

type DeliveryRow = Prisma.WebhookDeliveryGetPayload<{
  include: { event: { select: { type: true } } };
}>;

/** Shapes a delivery row for responses; `next_attempt_at` is null once it is settled. */
export function presentDelivery(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    event_id: row.eventId,
    // Both columns are written only from these lists (outbox.ts, this module).
    type: row.event.type as WebhookEventType,
    endpoint_id: row.endpointId,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_latency_ms: row.lastLatencyMs,
    last_error: row.lastError,
    next_attempt_at: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export interface DeliveryQuery {
  status?: DeliveryStatus | undefined;
  endpointId?: string | undefined;
  type?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/**
 * The delivery log and replay.
 *
 * @example
 * const deliveries = createDeliveryService({ prisma, clock });
 * await deliveries.list({ status: 'failed', limit: 20 });
 */
export function createDeliveryService(deps: { prisma: PrismaClient; clock: Clock }) {
  const { prisma } = deps;
  return {
    /** Deliveries, newest first, filtered by status, endpoint and event type. */
    async list(query: DeliveryQuery): Promise<Page<DeliveryRow>> {
      const where: Prisma.WebhookDeliveryWhereInput = {
        ...(query.status ? { status: query.status } : {}),
        ...(query.endpointId ? { endpointId: query.endpointId } : {}),
        ...(query.type ? { event: { type: query.type } } : {}),
        ...createdAtAfter(query.cursor, 'desc'),
      };
      return keysetPage(
        query.limit,
        (take) =>
          prisma.webhookDelivery.findMany({
            where,
            include: { event: { select: { type: true } } },
            orderBy: createdAtOrder('desc'),
            take,
          }),
        createdAtKey,
      );
    },

    /**
     * Queues a delivery again, due now, with a fresh retry schedule. The message keeps its
     * `webhook-id` (the event id), so receivers can recognise it.
     *
     * @throws not_found; conflict when its endpoint is disabled.
     */
    async replay(id: string): Promise<DeliveryView> {
      const row = await prisma.webhookDelivery.findUnique({
        where: { id },
        include: { endpoint: { select: { enabled: true } } },
      });
      if (!row) throw notFound('webhook delivery');
      if (!row.endpoint.enabled)
        throw conflict('the webhook endpoint is disabled; enable it first');
      const updated = await prisma.webhookDelivery.update({
        where: { id },
        data: {
          status: 'pending',
          attempts: 0,
          nextAttemptAt: deps.clock.now(),
          leaseExpiresAt: null,
        },
        include: { event: { select: { type: true } } },
      });
      await prisma.$executeRaw`SELECT pg_notify(${WEBHOOK_CHANNEL}, '')`;
      return presentDelivery(updated);
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;

import { z } from 'zod';
import { DELIVERY_STATUSES } from './deliveries.js';
import { WEBHOOK_EVENT_TYPES } from './outbox.js';

const url = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');
const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }))
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((list) => [...new Set(list)]);

/** The body of `POST /admin/webhooks`. */
export const createEndpointBody = z.strictObject({
  url,
  events: events.default([]).describe('event types to send; empty (the default) means all'),
  enabled: z.boolean().default(true),
});

/** The body of `PATCH /admin/webhooks/{id}`: enabling clears `disabled_reason`. */
export const updateEndpointBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

/** The id in `/admin/webhooks/{id}…` and `/admin/webhook-deliveries/{id}/replay`. */
export const webhookParams = z.object({ id: z.string().min(1).max(64) });

const limit = z.coerce.number().int().min(1).max(100).default(50);
const cursor = z.string().min(1).max(512).optional();

/** The query of `GET /admin/webhooks`. */
export const endpointListQuery = z.object({ limit, cursor });

/** The query of `GET /admin/webhook-deliveries`. */
export const deliveryListQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  endpoint_id: z.string().min(1).max(64).optional(),
  type: z.enum(WEBHOOK_EVENT_TYPES).optional(),
  limit,
  cursor,
});

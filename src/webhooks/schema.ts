import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './outbox.js';

const url = z
  .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
  .max(2048, 'must be at most 2048 characters');
const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }))
  .max(WEBHOOK_EVENT_TYPES.length)
  .transform((list) => [...new Set(list)]);

/** The body of `POST /admin/webhooks` (and the console's form); no events: every event. */
export const createEndpointBody = z.strictObject({
  url,
  events: events.default([]),
  enabled: z.boolean().default(true),
});

/** The body of `PATCH /admin/webhooks/{id}`. */
export const patchEndpointBody = z.strictObject({
  url: url.optional(),
  events: events.optional(),
  enabled: z.boolean().optional(),
});

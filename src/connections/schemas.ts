import { z } from 'zod';
import { PROVIDER_KEY } from '../providers/provider-key.js';
import { limit, text, wholeNumber } from '../validate.js';

export const CONNECTION_STATUSES = ['active', 'reauthorization_required', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** Filters of `GET /admin/connections` and `token-broker connections list`. */
export const connectionFilters = z.object({
  service_id: text.optional(),
  provider: text.optional(),
  subject: text.optional(),
  status: z.enum(CONNECTION_STATUSES).optional(),
  limit,
  cursor: z.string().max(512).optional(),
});
export type ConnectionFilters = z.output<typeof connectionFilters>;

/** Body of `POST /admin/connections/revoke`: at least one of provider and subject. */
export const bulkRevokeFilter = z
  .object({ provider: text.optional(), subject: text.optional() })
  .strict()
  .refine((f) => f.provider !== undefined || f.subject !== undefined, {
    message: 'provider or subject is required',
    path: ['provider'],
  });
export type BulkRevokeFilter = z.output<typeof bulkRevokeFilter>;

/** Filters of `GET /v1/connections` (stricter about input than the admin's). */
export const serviceConnectionFilters = z.object({
  provider: z.string().regex(PROVIDER_KEY, 'must be a provider key').optional(),
  subject: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x20-\x7e]+$/, 'must be printable characters')
    .optional(),
  status: z.enum(CONNECTION_STATUSES).optional(),
  limit: wholeNumber(1, 100, 50),
  cursor: z.string().min(1).max(512).optional(),
});

/**
 * A connection id as the broker makes them (ids.ts): the one declaration, used by the
 * path schemas, the connect-session body and the raw routes' URL patterns.
 */
export const CONNECTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A connection id in an admin path: a malformed one is 400. */
export const idParam = z.object({ id: z.string().regex(CONNECTION_ID, 'invalid id') });

import { z } from 'zod';

export const CONNECTION_STATUSES = ['active', 'reauthorization_required', 'revoked'] as const;

const text = z.string().min(1).max(255);
const limit = z.coerce.number().int().min(1).max(100).default(50);

/** Filters of `GET /admin/connections` and `token-broker connections list`. */
export const connectionFilters = z.object({
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

/** Filters of `GET /admin/audit` and `token-broker audit`. */
export const auditFilters = z
  .object({
    connection_id: text.optional(),
    action: z.string().min(1).max(64).optional(),
    actor: text.optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    limit,
    cursor: z.string().max(512).optional(),
  })
  .refine((f) => !f.since || !f.until || Date.parse(f.since) <= Date.parse(f.until), {
    message: 'since must not be after until',
    path: ['since'],
  });
export type AuditFilters = z.output<typeof auditFilters>;

/** A path id: opaque, printable, bounded. */
export const idParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'invalid id') });

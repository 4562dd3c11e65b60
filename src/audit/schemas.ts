import { z } from 'zod';
import { limit, text } from '../validate.js';

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

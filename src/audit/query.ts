import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { badCursor, decodeCursor, keysetPage, type Page } from '../db/page.js';
import type { AuditFilters } from './schemas.js';

type AuditRow = Prisma.AuditEventGetPayload<object>;

/**
 * Audit events matching the filters, newest first. `actor` matches the actor id
 * (`admin`, a service id).
 *
 * @throws BrokerError `invalid_request` for a cursor that is not ours.
 * @example
 * const page = await listAuditEvents(prisma, { connection_id: 'conn_…', limit: 50 });
 */
export async function listAuditEvents(
  prisma: PrismaClient,
  filters: AuditFilters,
): Promise<Page<AuditRow>> {
  const at: Prisma.DateTimeFilter = {
    ...(filters.since ? { gte: new Date(filters.since) } : {}),
    ...(filters.until ? { lte: new Date(filters.until) } : {}),
  };
  const where: Prisma.AuditEventWhereInput = {
    ...(filters.connection_id ? { connectionId: filters.connection_id } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.actor ? { actorId: filters.actor } : {}),
    ...(filters.since || filters.until ? { at } : {}),
  };
  if (filters.cursor) {
    const [id = ''] = decodeCursor(filters.cursor, 1);
    if (!/^\d{1,19}$/.test(id)) throw badCursor();
    where.id = { lt: BigInt(id) };
  }
  return keysetPage(
    filters.limit,
    (take) => prisma.auditEvent.findMany({ where, orderBy: { id: 'desc' }, take }),
    (row) => [row.id.toString()],
  );
}

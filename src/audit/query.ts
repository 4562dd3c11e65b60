import type { PrismaClient } from '../db/client.js';
import { invalidRequest } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Page } from '../connections/queries.js';
import { decodeCursor, encodeCursor } from '../db/page.js';
import type { AuditFilters } from '../connections/schemas.js';

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
    if (!/^\d{1,19}$/.test(id)) throw invalidRequest('cursor: invalid cursor');
    where.id = { lt: BigInt(id) };
  }
  const rows = await prisma.auditEvent.findMany({
    where,
    orderBy: { id: 'desc' },
    take: filters.limit + 1,
  });
  const data = rows.slice(0, filters.limit);
  const last = data.at(-1);
  return {
    data,
    nextCursor: rows.length > filters.limit && last ? encodeCursor([last.id.toString()]) : null,
  };
}

import type { PrismaClient } from '../db/client.js';
import { notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import { decodeCursor, encodeCursor } from '../db/page.js';
import type { ConnectionFilters } from './schemas.js';

type ConnectionRow = Prisma.ConnectionGetPayload<object>;

/** A page of rows and the cursor of the next page (null on the last one). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * Connections matching the filters, newest first, one keyset page at a time.
 *
 * @throws BrokerError `invalid_request` for a cursor that is not ours.
 * @example
 * const { data, nextCursor } = await listConnections(prisma, { provider: 'github', limit: 50 });
 */
export async function listConnections(
  prisma: PrismaClient,
  filters: ConnectionFilters,
): Promise<Page<ConnectionRow>> {
  const where: Prisma.ConnectionWhereInput = {
    ...(filters.provider ? { providerKey: filters.provider } : {}),
    ...(filters.subject ? { subject: filters.subject } : {}),
    ...(filters.status ? { status: filters.status } : {}),
  };
  if (filters.cursor) {
    const [at = '', id = ''] = decodeCursor(filters.cursor, 2);
    const createdAt = new Date(at);
    where.OR = [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }];
  }
  const rows = await prisma.connection.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: filters.limit + 1,
  });
  const data = rows.slice(0, filters.limit);
  const last = data.at(-1);
  return {
    data,
    nextCursor:
      rows.length > filters.limit && last
        ? encodeCursor([last.createdAt.toISOString(), last.id])
        : null,
  };
}

/**
 * @throws BrokerError `not_found` naming the id.
 * @example
 * const row = await getConnection(prisma, 'conn_…');
 */
export async function getConnection(prisma: PrismaClient, id: string): Promise<ConnectionRow> {
  const row = await prisma.connection.findUnique({ where: { id } });
  if (!row) throw notFound(`connection ${id}`);
  return row;
}

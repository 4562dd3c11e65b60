import type { ConnectionRow } from '../connections/present.js';
import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';
import { insufficientScope, invalidRequest, notFound } from '../errors/index.js';
import type { ServicePrincipal } from './service-store.js';

export interface ConnectionFilters {
  provider?: string | undefined;
  subject?: string | undefined;
  status?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Opaque keyset cursor: the last row's creation time and id. */
const encodeCursor = (row: { createdAt: Date; id: string }) =>
  Buffer.from(JSON.stringify([row.createdAt.getTime(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'number' && typeof id === 'string') return { createdAt: new Date(at), id };
  } catch {
    // fall through to the 400 below
  }
  throw invalidRequest('cursor: not a cursor returned by this API');
}

/**
 * Connections as an internal service sees them: only those of its allowed providers.
 * Reading a connection outside the policy answers 404 (existence is not leaked); naming a
 * disallowed provider in a filter answers 403, since the caller named it itself.
 *
 * @example
 * const { data, nextCursor } = await serviceConnections.list(service, { provider: 'github', limit: 50 });
 */
export function createServiceConnections(deps: { prisma: PrismaClient }) {
  return {
    /** @throws BrokerError insufficient_scope (a disallowed provider filter), invalid_request (bad cursor). */
    async list(
      service: ServicePrincipal,
      f: ConnectionFilters,
    ): Promise<{ data: ConnectionRow[]; nextCursor: string | null }> {
      if (f.provider !== undefined && !service.allowedProviders.includes(f.provider)) {
        throw insufficientScope(`this service may not use provider "${f.provider}"`);
      }
      const after = f.cursor === undefined ? undefined : decodeCursor(f.cursor);
      const where: Prisma.ConnectionWhereInput = {
        providerKey: f.provider ?? { in: service.allowedProviders },
        ...(f.subject === undefined ? {} : { subject: f.subject }),
        ...(f.status === undefined ? {} : { status: f.status }),
        ...(after
          ? {
              OR: [
                { createdAt: { gt: after.createdAt } },
                { createdAt: after.createdAt, id: { gt: after.id } },
              ],
            }
          : {}),
      };
      const rows = await deps.prisma.connection.findMany({
        where,
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: f.limit + 1,
      });
      const page = rows.slice(0, f.limit);
      const last = page[page.length - 1];
      return { data: page, nextCursor: rows.length > f.limit && last ? encodeCursor(last) : null };
    },

    /** @throws BrokerError not_found when unknown or outside the service's policy. */
    async get(service: ServicePrincipal, id: string): Promise<ConnectionRow> {
      const row = await deps.prisma.connection.findUnique({ where: { id } });
      if (!row || !service.allowedProviders.includes(row.providerKey)) throw notFound('connection');
      return row;
    },
  };
}

export type ServiceConnections = ReturnType<typeof createServiceConnections>;

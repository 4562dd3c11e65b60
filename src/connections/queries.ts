import { accessibleWhere, mayAccess } from './access.js';
import type { PrismaClient } from '../db/client.js';
import { createdAtAfter, createdAtKey, createdAtOrder, keysetPage, type Page } from '../db/page.js';
import { insufficientScope, notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { ServicePolicy } from '../services/service-store.js';
import type { ConnectionFilters } from './schemas.js';

export type ConnectionRecord = Prisma.ConnectionGetPayload<object>;

/**
 * Whose view a query answers: the admin sees every connection (newest first); a service
 * only those of its allowed providers (oldest first, as API.md's service list has always run).
 */
export type ConnectionViewer = 'admin' | ServicePolicy;

/** Whether a provider filter names one the viewer may use at all. */
const providerVisible = (viewer: ConnectionViewer, providerKey: string) =>
  viewer === 'admin' || viewer.allowedProviders.includes(providerKey);

/**
 * Connections and their policy, for the admin API, the service API, the console and the CLI.
 *
 * @example
 * const connections = createConnectionQueries({ prisma });
 * const { data, nextCursor } = await connections.list({ provider: 'github', limit: 50 }, service);
 */
export function createConnectionQueries(deps: { prisma: PrismaClient }) {
  return {
    /**
     * One keyset page of connections matching the filters. Naming a provider outside a
     * service's policy answers 403, since the caller named it itself.
     *
     * @throws BrokerError insufficient_scope (a disallowed provider filter), invalid_request (bad cursor).
     */
    list(filters: ConnectionFilters, viewer: ConnectionViewer): Promise<Page<ConnectionRecord>> {
      if (filters.provider !== undefined && !providerVisible(viewer, filters.provider)) {
        throw insufficientScope(`this service may not use provider "${filters.provider}"`);
      }
      const order = viewer === 'admin' ? 'desc' : 'asc';
      const where: Prisma.ConnectionWhereInput = {
        ...(filters.service_id === undefined ? {} : { serviceId: filters.service_id }),
        ...(filters.provider !== undefined
          ? { providerKey: filters.provider }
          : viewer === 'admin'
            ? {}
            : { providerKey: { in: [...viewer.allowedProviders] } }),
        ...(filters.subject === undefined ? {} : { subject: filters.subject }),
        ...(filters.status === undefined ? {} : { status: filters.status }),
        ...createdAtAfter(filters.cursor, order),
        // Last, so a service filter can never widen an `own` service's view.
        ...(viewer === 'admin' ? {} : accessibleWhere(viewer)),
      };
      return keysetPage(
        filters.limit,
        (take) => deps.prisma.connection.findMany({ where, orderBy: createdAtOrder(order), take }),
        createdAtKey,
      );
    },

    /**
     * A connection by id. One outside a service's policy answers 404, as an unknown one
     * does (existence is not leaked).
     *
     * @throws BrokerError not_found naming the connection.
     */
    async get(id: string, viewer: ConnectionViewer): Promise<ConnectionRecord> {
      const row = await deps.prisma.connection.findUnique({ where: { id } });
      if (!row || (viewer !== 'admin' && !mayAccess(viewer, row))) {
        throw notFound(viewer === 'admin' ? `connection ${id}` : 'connection');
      }
      return row;
    },
  };
}

export type ConnectionQueries = ReturnType<typeof createConnectionQueries>;

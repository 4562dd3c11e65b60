/** What decides a service's reach over connections (its policy; API.md, Service). */
export interface ConnectionAccessPolicy {
  id: string;
  allowedProviders: readonly string[];
  /** `own`: only the connections it created; `provider`: every one of its allowed providers. */
  connectionAccess: 'own' | 'provider';
}

/**
 * Whether a service may see and manage a connection: the provider is in its policy, and it
 * owns the connection unless its `connection_access` is `provider`. The one check every
 * service route makes (list, read, token, refresh, revoke, proxy, reconnect); callers
 * answer 404 `not_found` when it is false, exactly as for a connection that does not exist.
 *
 * @example
 * if (!row || !mayAccess(service, row)) throw notFound('connection');
 */
export function mayAccess(
  policy: ConnectionAccessPolicy,
  connection: { serviceId: string | null; providerKey: string },
): boolean {
  if (!policy.allowedProviders.includes(connection.providerKey)) return false;
  return policy.connectionAccess === 'provider' || connection.serviceId === policy.id;
}

/**
 * The same rule as a Prisma `where` fragment, for lists: only the connections `mayAccess`
 * lets through.
 *
 * @example
 * prisma.connection.findMany({ where: { ...accessibleWhere(service), status: 'active' } })
 */
export const accessibleWhere = (policy: ConnectionAccessPolicy) =>
  policy.connectionAccess === 'provider' ? {} : { serviceId: policy.id };

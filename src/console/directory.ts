import type { PrismaClient } from '../db/client.js';

/** A provider as the console lists it: no client secret or key, only what identifies it. */
export interface ProviderSummary {
  key: string;
  displayName: string;
  issuer: string | null;
  clientId: string;
  clientAuthMethod: string;
  revocationSupported: boolean;
  connections: number;
}

/**
 * Registered providers with their connection counts, for the console.
 *
 * @example
 * const providers = await listProviderSummaries(prisma);
 */
export async function listProviderSummaries(prisma: PrismaClient): Promise<ProviderSummary[]> {
  const rows = await prisma.provider.findMany({
    select: {
      key: true,
      displayName: true,
      issuer: true,
      clientId: true,
      clientAuthMethod: true,
      metadata: true,
      _count: { select: { connections: true } },
    },
    orderBy: { key: 'asc' },
  });
  return rows.map((p) => ({
    key: p.key,
    displayName: p.displayName,
    issuer: p.issuer,
    clientId: p.clientId,
    clientAuthMethod: p.clientAuthMethod,
    revocationSupported: Boolean(
      (p.metadata as { revocation_endpoint?: unknown } | null)?.revocation_endpoint,
    ),
    connections: p._count.connections,
  }));
}

/** A service as the console lists it: never its secret hashes or API keys. */
export interface ServiceSummary {
  id: string;
  name: string;
  allowedProviders: string[];
  allowedReturnTo: string[];
  createdAt: Date;
}

/**
 * Registered services, for the console.
 *
 * @example
 * const services = await listServiceSummaries(prisma);
 */
export function listServiceSummaries(prisma: PrismaClient): Promise<ServiceSummary[]> {
  return prisma.service.findMany({
    select: {
      id: true,
      name: true,
      allowedProviders: true,
      allowedReturnTo: true,
      createdAt: true,
    },
    orderBy: { createdAt: 'asc' },
  });
}

import type { PrismaClient } from '../db/client.js';

/** The overview chart covers this many hours, one bar pair per hour. */
export const OVERVIEW_HOURS = 24;

export interface Overview {
  connectionsByStatus: Record<string, number>;
  /** Per provider: its connections by status, and whether its last refreshes fail. */
  providers: { key: string; displayName: string; byStatus: Record<string, number> }[];
  services: number;
  webhookEndpoints: number;
  failingDeliveries: number;
  /** Oldest hour first: refresh failures and proxy errors in each of the last 24 hours. */
  hours: { start: Date; refreshFailures: number; proxyErrors: number }[];
}

/**
 * What the console's overview shows: counts by status and provider, and refresh failures
 * and proxy errors per hour over the last day (from the audit trail).
 *
 * @example
 * const overview = await loadOverview(prisma, clock.now());
 */
export async function loadOverview(prisma: PrismaClient, now: Date): Promise<Overview> {
  const hour = 3600_000;
  const firstHour = new Date(Math.floor(now.getTime() / hour) * hour - (OVERVIEW_HOURS - 1) * hour);
  const [byStatus, byProvider, providers, services, webhookEndpoints, failingDeliveries, events] =
    await Promise.all([
      prisma.connection.groupBy({ by: ['status'], _count: { _all: true } }),
      prisma.connection.groupBy({ by: ['providerKey', 'status'], _count: { _all: true } }),
      prisma.provider.findMany({
        select: { key: true, displayName: true },
        orderBy: { key: 'asc' },
      }),
      prisma.service.count(),
      prisma.webhookEndpoint.count(),
      prisma.webhookDelivery.count({ where: { status: 'failed' } }),
      prisma.$queryRaw<{ hour: Date; action: string; n: bigint }[]>`
        SELECT date_trunc('hour', at) AS hour, action, count(*) AS n
        FROM audit_events
        WHERE at >= ${firstHour} AND outcome <> 'success'
          AND action IN ('connection.refresh', 'connection.proxy')
        GROUP BY 1, 2`,
    ]);
  const hours = Array.from({ length: OVERVIEW_HOURS }, (_, i) => ({
    start: new Date(firstHour.getTime() + i * hour),
    refreshFailures: 0,
    proxyErrors: 0,
  }));
  for (const e of events) {
    const slot = hours[Math.round((e.hour.getTime() - firstHour.getTime()) / hour)];
    if (!slot) continue;
    if (e.action === 'connection.refresh') slot.refreshFailures += Number(e.n);
    else slot.proxyErrors += Number(e.n);
  }
  return {
    connectionsByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r._count._all])),
    providers: providers.map((p) => ({
      key: p.key,
      displayName: p.displayName,
      byStatus: Object.fromEntries(
        byProvider.filter((r) => r.providerKey === p.key).map((r) => [r.status, r._count._all]),
      ),
    })),
    services,
    webhookEndpoints,
    failingDeliveries,
    hours,
  };
}

import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../generated/prisma/client.js';

/** Rows per console page. */
export const CONSOLE_PAGE_SIZE = 25;

/**
 * One page of a console list and the total it is part of. The console pages by number
 * (offset) rather than by the API's keyset cursor: a person wants "previous", "next" and
 * "41–60 of 133", and the lists are an operator's, not a hot path.
 */
export interface NumberedPage<T> {
  rows: T[];
  total: number;
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** A page number from a query string: a whole number ≥ 1, else 1. */
export const pageNumber = (value: unknown): number => {
  const n = typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : 1;
  return Math.max(1, n);
};

async function numbered<T>(
  page: number,
  count: () => Promise<number>,
  find: (skip: number, take: number) => Promise<T[]>,
): Promise<NumberedPage<T>> {
  const [total, rows] = await Promise.all([
    count(),
    find((page - 1) * CONSOLE_PAGE_SIZE, CONSOLE_PAGE_SIZE),
  ]);
  return { rows, total, page, pageSize: CONSOLE_PAGE_SIZE };
}

export interface ConsoleConnectionFilters {
  provider?: string;
  /** Subjects starting with this text. */
  subject?: string;
  status?: string;
}

/**
 * Connections for the console, newest first, filtered by provider, subject prefix and status.
 *
 * @example
 * const { rows, total } = await listConsoleConnections(prisma, { subject: 'user-' }, 1);
 */
export function listConsoleConnections(
  prisma: PrismaClient,
  f: ConsoleConnectionFilters,
  page: number,
) {
  const where: Prisma.ConnectionWhereInput = {
    ...(f.provider ? { providerKey: f.provider } : {}),
    ...(f.subject ? { subject: { startsWith: f.subject } } : {}),
    ...(f.status ? { status: f.status } : {}),
  };
  return numbered(
    page,
    () => prisma.connection.count({ where }),
    (skip, take) =>
      prisma.connection.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip,
        take,
      }),
  );
}

export interface ConsoleAuditFilters {
  /** Actions starting with this text (`connection.` for every connection action). */
  action?: string;
  /** Actor ids containing this text. */
  actor?: string;
  connection?: string;
  provider?: string;
}

/**
 * The overall audit log for the console, newest first.
 *
 * @example
 * const { rows } = await listConsoleAudit(prisma, { action: 'service.' }, 1);
 */
export function listConsoleAudit(prisma: PrismaClient, f: ConsoleAuditFilters, page: number) {
  const where: Prisma.AuditEventWhereInput = {
    ...(f.action ? { action: { startsWith: f.action } } : {}),
    ...(f.actor ? { actorId: { contains: f.actor } } : {}),
    ...(f.connection ? { connectionId: f.connection } : {}),
    ...(f.provider ? { providerKey: f.provider } : {}),
  };
  return numbered(
    page,
    () => prisma.auditEvent.count({ where }),
    (skip, take) => prisma.auditEvent.findMany({ where, orderBy: { id: 'desc' }, skip, take }),
  );
}

/** Webhook endpoints with their delivery counts by status (never their secrets). */
export async function listConsoleWebhooks(prisma: PrismaClient) {
  const [endpoints, counts] = await Promise.all([
    prisma.webhookEndpoint.findMany({
      select: {
        id: true,
        url: true,
        events: true,
        enabled: true,
        disabledReason: true,
        failingSince: true,
        createdAt: true,
      },
      orderBy: { createdAt: 'asc' },
    }),
    prisma.webhookDelivery.groupBy({ by: ['endpointId', 'status'], _count: { _all: true } }),
  ]);
  return endpoints.map((e) => ({
    ...e,
    deliveries: Object.fromEntries(
      counts.filter((c) => c.endpointId === e.id).map((c) => [c.status, c._count._all]),
    ),
  }));
}
export type ConsoleWebhook = Awaited<ReturnType<typeof listConsoleWebhooks>>[number];

export interface ConsoleDeliveryFilters {
  status?: string;
  endpoint?: string;
  /** Event types starting with this text. */
  type?: string;
}

/**
 * Webhook deliveries for the console, newest first, with their event's type.
 *
 * @example
 * const { rows } = await listConsoleDeliveries(prisma, { status: 'failed' }, 1);
 */
export function listConsoleDeliveries(
  prisma: PrismaClient,
  f: ConsoleDeliveryFilters,
  page: number,
) {
  const where: Prisma.WebhookDeliveryWhereInput = {
    ...(f.status ? { status: f.status } : {}),
    ...(f.endpoint ? { endpointId: f.endpoint } : {}),
    ...(f.type ? { event: { type: { startsWith: f.type } } } : {}),
  };
  return numbered(
    page,
    () => prisma.webhookDelivery.count({ where }),
    (skip, take) =>
      prisma.webhookDelivery.findMany({
        where,
        include: { event: { select: { type: true } } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip,
        take,
      }),
  );
}
export type ConsoleDelivery = Awaited<ReturnType<typeof listConsoleDeliveries>>['rows'][number];

import type { PrismaClient } from '../db/client.js';
import { invalidRequest, notFound } from '../errors/index.js';
import { generateApiKey } from './credentials.js';

/** How often the keys used since the last write get their `last_used_at` (one UPDATE). */
export const LAST_USED_FLUSH_MS = 30_000;

/** An API key as the admin API lists it: its id (the key's non-secret part), never the key. */
export interface ApiKeyRow {
  id: string;
  serviceId: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/**
 * A service's API keys: several may be valid at once so that a key can be rotated with an
 * overlap (issue a new one, move the callers, revoke the old one), each with an optional
 * expiry. Uses are remembered in memory and written in one statement every 30 s, so the
 * token read never waits for a write.
 *
 * @example
 * const { apiKey } = await keys.issue(serviceId, { expiresAt: new Date('2027-01-01') });
 * await keys.revoke(serviceId, oldKeyId);
 */
export function createApiKeys(deps: {
  prisma: PrismaClient;
  clock: { now(): Date };
  /** Called after a key was revoked, so this replica forgets it at once. */
  revoked(serviceId: string): void;
}) {
  const { prisma } = deps;
  /** Key id → last use not yet written. */
  let used = new Map<string, Date>();

  async function writeUses(): Promise<void> {
    if (used.size === 0) return;
    const batch = used;
    used = new Map();
    const ids = [...batch.keys()];
    const at = [...batch.values()];
    await prisma.$executeRaw`UPDATE service_api_keys AS k SET last_used_at = u.at
      FROM unnest(${ids}::text[], ${at}::timestamptz[]) AS u(id, at)
      WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`;
  }
  const timer = setInterval(() => void writeUses().catch(() => undefined), LAST_USED_FLUSH_MS);
  timer.unref();

  return {
    /**
     * A new API key for a service, shown only in this answer.
     * @throws BrokerError not_found (no such service), invalid_request (expiry not in the future)
     */
    async issue(serviceId: string, opts: { expiresAt?: Date | undefined } = {}) {
      if (opts.expiresAt && opts.expiresAt <= deps.clock.now()) {
        throw invalidRequest('`expires_at` must be in the future');
      }
      const service = await prisma.service.findUnique({ where: { id: serviceId } });
      if (!service) throw notFound('service');
      const key = generateApiKey();
      const row = await prisma.serviceApiKey.create({
        data: { id: key.id, serviceId, hash: key.hash, expiresAt: opts.expiresAt ?? null },
      });
      return { row, apiKey: key.key };
    },

    /** @throws BrokerError not_found (no such service) */
    async list(serviceId: string): Promise<ApiKeyRow[]> {
      const service = await prisma.service.findUnique({
        where: { id: serviceId },
        include: { apiKeys: { orderBy: { createdAt: 'asc' } } },
      });
      if (!service) throw notFound('service');
      return service.apiKeys;
    },

    /**
     * Revokes one key: every replica refuses it from now on (NOTIFY from the database).
     * @throws BrokerError not_found (no such key of that service)
     */
    async revoke(serviceId: string, keyId: string): Promise<void> {
      const { count } = await prisma.serviceApiKey.deleteMany({ where: { id: keyId, serviceId } });
      if (count === 0) throw notFound('API key');
      deps.revoked(serviceId);
    },

    /** Notes a successful use (hot path: a map write). */
    used(keyId: string): void {
      used.set(keyId, deps.clock.now());
    },

    /** Writes the uses noted so far (shutdown, tests). */
    flush: writeUses,

    async stop(): Promise<void> {
      clearInterval(timer);
      await writeUses();
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;

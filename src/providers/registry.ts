import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { conflict, invalidRequest, notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../observability/logger.js';
import type { Keyring } from '../vault/keyring.js';
import { discoverMetadata } from './discovery.js';
import { resolveProvider, type ResolvedProvider } from './resolve.js';
import type { ProviderBody, ProviderUpdateBody } from './schema.js';
import { toProviderRecord, type ProviderStore } from './store.js';

/** Discovered metadata older than this is fetched again before the next consent flow. */
export const METADATA_MAX_AGE_MS = 24 * 3600 * 1000;

/** The oldest possible fetch time: marks discovered metadata as due for a refetch. */
const STALE = new Date(0);

export type ProviderRow = Awaited<ReturnType<PrismaClient['provider']['findUniqueOrThrow']>>;

interface Secrets {
  clientSecret: string | undefined;
  clientKey: string | undefined;
}

function assertCredentials(r: ResolvedProvider, s: Secrets): void {
  // Static-credential providers take the user's own key: there is no OAuth client.
  if (r.authMode !== 'oauth2') return;
  const method = r.clientAuthMethod;
  if ((method === 'client_secret_basic' || method === 'client_secret_post') && !s.clientSecret) {
    throw invalidRequest(`client_secret: required for ${method}`);
  }
  if (method === 'private_key_jwt' && !s.clientKey) {
    throw invalidRequest('client_key: required for private_key_jwt');
  }
}

const isUniqueViolation = (e: unknown) => (e as { code?: string } | null)?.code === 'P2002';

/**
 * Admin management of providers. Client secrets and keys are encrypted (AAD binds them to
 * the provider's key) and never returned; every change drops the provider from the
 * read cache.
 *
 * @example
 * const registry = createProviderRegistry({ prisma, keyring, providers, clock, logger, timeoutSeconds: 10 });
 * await registry.create({ key: 'github', template: 'github', client_id: 'Iv1…', client_secret: '…' });
 */
export function createProviderRegistry(deps: {
  prisma: PrismaClient;
  keyring: Keyring;
  providers: ProviderStore;
  clock: Clock;
  logger: Logger;
  timeoutSeconds: number;
}) {
  const { prisma, keyring } = deps;

  function sealed(key: string, s: Secrets) {
    const seal = (field: string, value: string | undefined) =>
      value === undefined ? null : keyring.encrypt(value, { table: 'providers', id: key, field });
    const any = s.clientSecret !== undefined || s.clientKey !== undefined;
    return {
      clientSecret: seal('client_secret', s.clientSecret),
      clientKey: seal('client_key', s.clientKey),
      keyId: any ? keyring.currentKid : null,
    };
  }

  const columns = (r: ResolvedProvider) => ({
    ...r,
    metadata: r.metadata as Prisma.InputJsonValue,
  });

  async function get(key: string): Promise<ProviderRow> {
    const row = await prisma.provider.findUnique({ where: { key } });
    if (!row) throw notFound('provider');
    return row;
  }

  return {
    get,

    /** @throws BrokerError invalid_request, conflict (key taken), upstream_unavailable (discovery). */
    async create(body: ProviderBody): Promise<ProviderRow> {
      if (await prisma.provider.findUnique({ where: { key: body.key }, select: { key: true } })) {
        throw conflict(`provider "${body.key}" already exists`);
      }
      const resolved = await resolveProvider(body.key, body, deps.clock.now(), deps.timeoutSeconds);
      const secrets = {
        clientSecret: body.client_secret ?? undefined,
        clientKey: body.client_key ? JSON.stringify(body.client_key) : undefined,
      };
      assertCredentials(resolved, secrets);
      try {
        const row = await prisma.provider.create({
          data: { key: body.key, ...columns(resolved), ...sealed(body.key, secrets) },
        });
        deps.providers.invalidate(body.key);
        return row;
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict(`provider "${body.key}" already exists`);
        throw error;
      }
    },

    /**
     * Replaces a provider's configuration. A `client_secret` / `client_key` left out is
     * kept; `null` removes it.
     */
    async update(key: string, body: ProviderUpdateBody): Promise<ProviderRow> {
      if (body.key !== undefined && body.key !== key)
        throw invalidRequest('key: cannot be changed');
      const current = toProviderRecord(await get(key), keyring);
      const resolved = await resolveProvider(key, body, deps.clock.now(), deps.timeoutSeconds);
      const secrets = {
        clientSecret:
          body.client_secret === undefined
            ? current.clientSecret
            : (body.client_secret ?? undefined),
        clientKey:
          body.client_key === undefined
            ? current.clientKey && JSON.stringify(current.clientKey)
            : body.client_key
              ? JSON.stringify(body.client_key)
              : undefined,
      };
      assertCredentials(resolved, secrets);
      const row = await prisma.provider.update({
        where: { key },
        data: { ...columns(resolved), ...sealed(key, secrets) },
      });
      deps.providers.invalidate(key);
      return row;
    },

    /**
     * Deletes a provider. Refused (409 conflict) while it has connections that are not
     * revoked; revoked ones (their tokens already erased) and pending connect sessions
     * go with it.
     */
    async remove(key: string): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const row = await tx.provider.findUnique({ where: { key }, select: { key: true } });
        if (!row) throw notFound('provider');
        const live = await tx.connection.count({
          where: { providerKey: key, status: { not: 'revoked' } },
        });
        if (live > 0) {
          throw conflict(`provider "${key}" still has ${live} connection(s); revoke them first`);
        }
        await tx.connection.deleteMany({ where: { providerKey: key } });
        await tx.connectSession.deleteMany({ where: { providerKey: key } });
        await tx.provider.delete({ where: { key } });
      });
      deps.providers.invalidate(key);
    },

    /** One page of providers in key order; `cursor` is the last key of the previous page. */
    async list(limit: number, cursor: string | undefined) {
      const rows = await prisma.provider.findMany({
        where: cursor ? { key: { gt: cursor } } : {},
        orderBy: { key: 'asc' },
        take: limit + 1,
      });
      const page = rows.slice(0, limit);
      return { rows: page, next: rows.length > limit ? page[page.length - 1]?.key : undefined };
    },

    /**
     * Refetches a discovered provider's metadata when it is older than a day or was marked
     * stale after a failure. A failed refetch keeps the old metadata (logged).
     */
    async refreshStaleMetadata(key: string): Promise<void> {
      const row = await prisma.provider.findUnique({ where: { key } });
      if (!row?.issuer || !row.metadataFetchedAt) return;
      const now = deps.clock.now();
      if (now.getTime() - row.metadataFetchedAt.getTime() < METADATA_MAX_AGE_MS) return;
      try {
        const metadata = await discoverMetadata(row.issuer, deps.timeoutSeconds);
        await prisma.provider.update({
          where: { key },
          data: { metadata: metadata, metadataFetchedAt: now },
        });
        deps.providers.invalidate(key);
      } catch (error) {
        deps.logger.warn(
          { provider: key, err: (error as Error).message },
          'provider metadata refetch failed; keeping the previous metadata',
        );
      }
    },

    /** Marks discovered metadata for a refetch before the next flow (after a provider failure). */
    async markMetadataStale(key: string): Promise<void> {
      await prisma.provider.updateMany({
        where: { key, metadataFetchedAt: { not: null } },
        data: { metadataFetchedAt: STALE },
      });
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;

import { markActive } from './health.js';
import type { Clock } from '../clock.js';
import type { PrismaClient } from '../db/client.js';
import { decodeCursor, keysetPage, type Page } from '../db/page.js';
import { conflict, invalidRequest, notFound } from '../errors/index.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { Logger } from '../observability/logger.js';
import type { Keyring } from '../vault/keyring.js';
import { webhookSecretColumns } from '../provider-webhooks/secrets.js';
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
 * const registry = createProviderRegistry({ prisma, keyring, providers, clock, logger, timeoutSeconds: 10, allowPrivateUrls: false });
 * await registry.create({ key: 'github', template: 'github', client_id: 'Iv1…', client_secret: '…' });
 */
export function createProviderRegistry(deps: {
  prisma: PrismaClient;
  keyring: Keyring;
  providers: ProviderStore;
  clock: Clock;
  logger: Logger;
  timeoutSeconds: number;
  /** `PROVIDER_ALLOW_PRIVATE_URLS` (egress.ts). */
  allowPrivateUrls: boolean;
}) {
  const { prisma, keyring } = deps;
  const network = { timeoutSeconds: deps.timeoutSeconds, allowPrivate: deps.allowPrivateUrls };

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
      const resolved = await resolveProvider(body.key, body, deps.clock.now(), network);
      const secrets = {
        clientSecret: body.client_secret ?? undefined,
        clientKey: body.client_key ? JSON.stringify(body.client_key) : undefined,
      };
      assertCredentials(resolved, secrets);
      try {
        const webhook = webhookSecretColumns(
          body.key,
          undefined,
          body.webhook_secret,
          keyring,
          deps.clock.now(),
        );
        const row = await prisma.provider.create({
          data: { key: body.key, ...columns(resolved), ...sealed(body.key, secrets), ...webhook },
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
      const existing = await get(key);
      const current = toProviderRecord(existing, keyring);
      const resolved = await resolveProvider(key, body, deps.clock.now(), network);
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
      const row = await prisma.$transaction(async (tx) => {
        // A corrected configuration resumes the refreshes a misconfigured provider held back.
        await markActive(tx, key, deps.clock.now());
        return tx.provider.update({
          where: { key },
          data: {
            ...columns(resolved),
            ...sealed(key, secrets),
            ...webhookSecretColumns(key, existing, body.webhook_secret, keyring, deps.clock.now()),
          },
        });
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

    /**
     * One page of providers in key order.
     *
     * @throws BrokerError `invalid_request` for a cursor this API did not make.
     */
    list(limit: number, cursor: string | undefined): Promise<Page<ProviderRow>> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor, 1)[0];
      return keysetPage(
        limit,
        (take) =>
          prisma.provider.findMany({
            where: after === undefined ? {} : { key: { gt: after } },
            orderBy: { key: 'asc' },
            take,
          }),
        (p) => [p.key],
      );
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
        const metadata = await discoverMetadata(
          row.issuer,
          deps.timeoutSeconds,
          deps.allowPrivateUrls,
        );
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

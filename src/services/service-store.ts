import type { PrismaClient } from '../db/client.js';
import { notFound } from '../errors/index.js';
import { newId } from '../ids.js';
import { apiKeyId, generateApiKey, generateClientSecret, matchesHash } from './credentials.js';

/** An authenticated internal caller and its policy. */
export interface ServicePrincipal {
  id: string;
  name: string;
  allowedProviders: string[];
  allowedReturnTo: string[];
}

export interface NewService {
  name: string;
  allowedProviders: string[];
  allowedReturnTo: string[];
  jwks?: { keys: object[] } | undefined;
}

/** Three base64url segments: worth verifying as a broker JWT. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

type ServiceRow = Awaited<ReturnType<PrismaClient['service']['findFirstOrThrow']>>;

export const toPrincipal = (s: ServiceRow): ServicePrincipal => ({
  id: s.id,
  name: s.name,
  allowedProviders: s.allowedProviders,
  allowedReturnTo: s.allowedReturnTo,
});

/**
 * Services and their credentials.
 *
 * @example
 * const { service, apiKey } = await services.create({ name: 'billing', allowedProviders: ['github'], allowedReturnTo: [] });
 * await services.authenticateApiKey(apiKey); // ServicePrincipal
 */
export function createServiceStore(deps: {
  prisma: PrismaClient;
  /** Verifies broker JWTs (`POST /oauth/token`); its `sub` is the service id. */
  brokerJwt: { verify(token: string): Promise<{ sub: string } | undefined> };
}) {
  const { prisma } = deps;
  return {
    /** Creates a service with one API key and a client secret, both returned only here. */
    async create(input: NewService) {
      const id = newId('svc');
      const key = generateApiKey();
      const secret = generateClientSecret();
      const row = await prisma.service.create({
        data: {
          id,
          name: input.name,
          allowedProviders: input.allowedProviders,
          allowedReturnTo: input.allowedReturnTo,
          clientId: id,
          clientSecretHash: secret.hash,
          ...(input.jwks ? { jwks: input.jwks } : {}),
          apiKeys: { create: { id: key.id, hash: key.hash } },
        },
      });
      return { service: row, apiKey: key.key, clientSecret: secret.secret };
    },

    list: () => prisma.service.findMany({ orderBy: { createdAt: 'asc' } }),

    /** @throws BrokerError not_found */
    async get(id: string) {
      const row = await prisma.service.findUnique({ where: { id } });
      if (!row) throw notFound('service');
      return row;
    },

    /** Deletes a service; its API keys go with it (cascade), so they stop working at once. */
    async remove(id: string): Promise<void> {
      const { count } = await prisma.service.deleteMany({ where: { id } });
      if (count === 0) throw notFound('service');
    },

    /**
     * The service behind a presented bearer credential — an API key or a broker JWT —
     * or undefined (unknown, malformed, expired, or its service deleted).
     */
    async authenticate(credential: string): Promise<ServicePrincipal | undefined> {
      if (apiKeyId(credential)) return this.authenticateApiKey(credential);
      if (!JWT_SHAPE.test(credential)) return undefined;
      const claims = await deps.brokerJwt.verify(credential);
      if (!claims) return undefined;
      const row = await prisma.service.findUnique({ where: { id: claims.sub } });
      return row ? toPrincipal(row) : undefined;
    },

    /** The service with an OAuth `client_id` (for `POST /oauth/token`), or undefined. */
    findByClientId: (clientId: string) => prisma.service.findUnique({ where: { clientId } }),

    /** The service owning a presented API key, or undefined (unknown, malformed, or deleted). */
    async authenticateApiKey(key: string): Promise<ServicePrincipal | undefined> {
      const id = apiKeyId(key);
      if (!id) return undefined;
      const row = await prisma.serviceApiKey.findUnique({
        where: { id },
        include: { service: true },
      });
      if (!row || !matchesHash(key, row.hash)) return undefined;
      return toPrincipal(row.service);
    },
  };
}

export type ServiceStore = ReturnType<typeof createServiceStore>;

import { assertHttpsInProduction } from '../net/https-only.js';
import { hash } from 'node:crypto';
import type { ChangeFeed } from '../cache/change-feed.js';
import { createReadCache } from '../cache/read-cache.js';
import { andThen, type Eventually } from '../eventually.js';
import { Prisma } from '../generated/prisma/client.js';
import type { PrismaClient } from '../db/client.js';
import { invalidRequest, invalidToken, notFound } from '../errors/index.js';
import { newId } from '../ids.js';
import { CLOCK_TOLERANCE_SECONDS } from '../tokens/broker-jwt.js';
import { createApiKeys } from './api-keys.js';
import { createClientSecrets } from './client-secrets.js';
import { apiKeyId, generateApiKey, generateClientSecret, matchesHash } from './credentials.js';

/** What a service may reach: only connections of its allowed providers. */
export interface ServicePolicy {
  id: string;
  allowedProviders: readonly string[];
  /** `own`: only the connections it created; `provider`: every one of its allowed providers. */
  connectionAccess: 'own' | 'provider';
}

/** An authenticated internal caller and its policy. */
export interface ServicePrincipal extends ServicePolicy {
  name: string;
  /** What end users see on the connect page; `name` when null. */
  displayName: string | null;
  allowedProviders: string[];
  allowedReturnTo: string[];
  /** `own`: only the connections it created; `provider`: every one of its allowed providers. */
  connectionAccess: ConnectionAccess;
}

/** Which connections a service may see and manage (API.md, Service). */
export const CONNECTION_ACCESS = ['own', 'provider'] as const;
export type ConnectionAccess = (typeof CONNECTION_ACCESS)[number];

export interface NewService {
  name: string;
  displayName?: string | undefined;
  connectionAccess?: ConnectionAccess | undefined;
  allowedProviders: string[];
  allowedReturnTo: string[];
  jwks?: { keys: object[] } | undefined;
}

/** What `PATCH /admin/services/{id}` may change; absent fields stay, `null` clears. */
export interface ServicePatch {
  name?: string | undefined;
  displayName?: string | null | undefined;
  connectionAccess?: ConnectionAccess | undefined;
  allowedProviders?: string[] | undefined;
  allowedReturnTo?: string[] | undefined;
  jwks?: { keys: object[] } | null | undefined;
}

/** A verified API key: its service, and its expiry (checked on every use, cached or not). */
interface KeyGrant {
  serviceId: string;
  keyId: string;
  expiresAt: number | null;
}

/** Three base64url segments: worth verifying as a broker JWT. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Cached credential checks: few entries per service, dropped on any change to the service or its keys. */
const CREDENTIAL_CACHE = { ttlMs: 60_000, maxEntries: 10_000 };

type ServiceRow = Awaited<ReturnType<PrismaClient['service']['findFirstOrThrow']>>;

export const toPrincipal = (s: ServiceRow): ServicePrincipal => ({
  id: s.id,
  name: s.name,
  displayName: s.displayName,
  allowedProviders: s.allowedProviders,
  allowedReturnTo: s.allowedReturnTo,
  connectionAccess: s.connectionAccess === 'provider' ? 'provider' : 'own',
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
  brokerJwt: { verify(token: string): Promise<{ sub: string; exp: number } | undefined> };
  /** Invalidation across replicas for the credential caches (`token_broker_service`). */
  changes: ChangeFeed;
  clock: { now(): Date };
  /** `NODE_ENV=production`: `allowed_return_to` origins must be https. */
  production: boolean;
}) {
  const { prisma } = deps;
  const cache = {
    feed: deps.changes,
    channel: 'token_broker_service' as const,
    ...CREDENTIAL_CACHE,
  };
  /** Service id → principal. */
  const principals = createReadCache<ServicePrincipal>({ ...cache, name: 'service' });
  /** SHA-256 of a verified API key → its service and expiry. */
  const apiKeys = createReadCache<KeyGrant>({
    ...cache,
    name: 'api_key',
    idOf: (_key, grant) => grant.serviceId,
  });
  /** A verified broker JWT → its claims (re-checked for expiry on every use). */
  const jwts = createReadCache<{ sub: string; exp: number }>({
    ...cache,
    name: 'broker_jwt',
    idOf: (_key, claims) => claims.sub,
  });

  const principal = (id: string) =>
    principals.get(id, async () => {
      const row = await prisma.service.findUnique({ where: { id } });
      return row ? toPrincipal(row) : undefined;
    });

  async function verifyApiKey(key: string): Promise<KeyGrant | undefined> {
    const id = apiKeyId(key);
    if (!id) return undefined;
    const row = await prisma.serviceApiKey.findUnique({ where: { id } });
    if (!row || !matchesHash(key, row.hash)) return undefined;
    return { serviceId: row.serviceId, keyId: row.id, expiresAt: row.expiresAt?.getTime() ?? null };
  }

  const forget = (serviceId: string) => {
    // Other replicas hear of it from the database trigger; this one forgets at once.
    deps.changes.announce('token_broker_service', serviceId);
  };
  const keys = createApiKeys({ prisma, clock: deps.clock, revoked: forget });
  const clientSecrets = createClientSecrets({ prisma, clock: deps.clock, changed: forget });

  /** `allowed_providers` may only name registered providers. */
  async function assertProvidersExist(allowed: readonly string[]): Promise<void> {
    if (allowed.length === 0) return;
    const found = await prisma.provider.findMany({
      where: { key: { in: [...allowed] } },
      select: { key: true },
    });
    const known = new Set(found.map((p) => p.key));
    const unknown = allowed.filter((k) => !known.has(k));
    if (unknown.length > 0) {
      const list = unknown.map((k) => `"${k}"`).join(', ');
      throw invalidRequest(
        `\`allowed_providers\` names ${unknown.length === 1 ? 'a provider' : 'providers'} that ${unknown.length === 1 ? 'is' : 'are'} not registered: ${list} (see GET /admin/providers)`,
      );
    }
  }

  function assertReturnOrigins(origins: readonly string[]): void {
    for (const origin of origins) {
      assertHttpsInProduction('allowed_return_to', origin, deps.production);
    }
  }

  return {
    /** The service's API keys (issue, list, revoke) for rotation with an overlap. */
    keys,
    /** The service's client secret (rotation with an overlap). */
    clientSecrets,
    /**
     * Creates a service with one API key and a client secret, both returned only here.
     * @throws BrokerError invalid_request for a plain-http return origin in production.
     */
    async create(input: NewService) {
      assertReturnOrigins(input.allowedReturnTo);
      await assertProvidersExist(input.allowedProviders);
      const id = newId('svc');
      const key = generateApiKey();
      const secret = generateClientSecret();
      const row = await prisma.service.create({
        data: {
          id,
          name: input.name,
          displayName: input.displayName ?? null,
          connectionAccess: input.connectionAccess ?? 'own',
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

    /**
     * Changes a service's name and policy; its credentials stay as they are.
     * @throws BrokerError not_found, invalid_request (unknown provider, plain-http origin in production)
     */
    async update(id: string, patch: ServicePatch) {
      if (patch.allowedReturnTo) assertReturnOrigins(patch.allowedReturnTo);
      if (patch.allowedProviders) await assertProvidersExist(patch.allowedProviders);
      const { jwks, ...rest } = patch;
      const data = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
      const { count } = await prisma.service.updateMany({
        where: { id },
        data: {
          ...data,
          ...(jwks === undefined ? {} : { jwks: jwks ?? Prisma.DbNull }),
        },
      });
      if (count === 0) throw notFound('service');
      forget(id);
      return this.get(id);
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
      forget(id);
    },

    /**
     * The service behind an `Authorization` header's bearer credential (already extracted).
     * @throws BrokerError invalid_token (401 with `WWW-Authenticate`) when missing or not valid.
     */
    requireBearer(
      credential: string | undefined,
      /** The raw header, for a hint when it is there but not `Bearer <credential>`. */
      header?: string,
    ): Eventually<ServicePrincipal> {
      if (credential === undefined) {
        throw invalidToken(
          header
            ? 'the Authorization header must be "Bearer <credential>" (the word Bearer, one space, the API key or broker JWT)'
            : 'service credential required',
        );
      }
      return andThen(this.authenticate(credential), (service) => {
        if (!service) throw invalidToken('unknown or expired service credential');
        return service;
      });
    },

    /**
     * The service behind a presented bearer credential — an API key or a broker JWT —
     * or undefined (unknown, malformed, expired, or its service deleted). Known at once
     * when the credential and its service are cached.
     */
    authenticate(credential: string): Eventually<ServicePrincipal | undefined> {
      if (apiKeyId(credential)) return this.authenticateApiKey(credential);
      if (!JWT_SHAPE.test(credential)) return undefined;
      return andThen(
        jwts.get(credential, () => deps.brokerJwt.verify(credential)),
        (claims) => {
          const expiredAt = claims && (claims.exp + CLOCK_TOLERANCE_SECONDS) * 1000;
          if (!expiredAt || expiredAt <= deps.clock.now().getTime()) return undefined;
          return principal(claims.sub);
        },
      );
    },

    /** The service with an OAuth `client_id` (for `POST /oauth/token`), or undefined. */
    findByClientId: (clientId: string) => prisma.service.findUnique({ where: { clientId } }),

    /** The service owning a presented API key, or undefined (unknown, malformed, or deleted). */
    authenticateApiKey(key: string): Eventually<ServicePrincipal | undefined> {
      if (!apiKeyId(key)) return undefined;
      // One-shot hash (Node ≥ 20.12): no Hash object and no copies on the hot path.
      const digest = hash('sha256', key, 'base64');
      return andThen(
        apiKeys.get(digest, () => verifyApiKey(key)),
        (grant) => {
          if (!grant) return undefined;
          if (grant.expiresAt !== null && grant.expiresAt <= deps.clock.now().getTime()) {
            return undefined;
          }
          keys.used(grant.keyId);
          return principal(grant.serviceId);
        },
      );
    },
  };
}

export type ServiceStore = ReturnType<typeof createServiceStore>;

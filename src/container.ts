import { createHmac } from 'node:crypto';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import { createChangeFeed, type ChangeFeed } from './cache/change-feed.js';
import type { Clock } from './clock.js';
import { createConnect, type Connect } from './connect/index.js';
import type { ResolvedConfig } from './config/index.js';
import type { Database } from './db/client.js';
import { createDeviceSessions, type DeviceSessions } from './device/device-sessions.js';
import type { Logger } from './observability/logger.js';
import { traceProviderCalls } from './observability/spans.js';
import { createProviderOAuth } from './providers/oauth-client.js';
import { revokeConnection } from './connections/revoke.js';
import { createProxy, type Proxy } from './proxy/proxy.js';
import { createUpstreamPools } from './proxy/pools.js';
import { createRateMemory } from './proxy/rate-limits.js';
import { createProviderWebhooks, type ProviderWebhooks } from './provider-webhooks/receive.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { withResilience, type ResilientOAuth } from './providers/resilience.js';
import { createProviderStore, type ProviderStore } from './providers/store.js';
import { createClientAuthenticator } from './services/client-auth.js';
import { createConnectionQueries, type ConnectionQueries } from './connections/queries.js';
import { createRateLimits, type RateLimits } from './ratelimit/index.js';
import { createServiceStore, type ServiceStore } from './services/service-store.js';
import {
  createDirectConnections,
  type DirectConnections,
} from './static-credentials/direct-connections.js';
import { createBrokerJwt } from './tokens/broker-jwt.js';
import { createSigningKeys, type SigningKeys } from './tokens/signing-keys.js';
import { createTokenEndpoint, type TokenEndpoint } from './tokens/token-endpoint.js';
import { createTokenService, type TokenService } from './tokens/token-service.js';
import type { Keyring } from './vault/keyring.js';
import { createDeliveryService, type DeliveryService } from './webhooks/deliveries.js';
import { createEndpointService, type EndpointService } from './webhooks/endpoints.js';

/** Seconds any single provider call may take. */
const PROVIDER_TIMEOUT_SECONDS = 10;
/** Sockets the proxy keeps to one provider origin at most (per replica). */
const PROXY_CONNECTIONS_PER_ORIGIN = 128;

/** Everything a request handler or background job may reach, built once per process. */
export interface Container {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  clock: Clock;
  keyring: Keyring;
  providers: ProviderStore;
  /** Provider calls behind a per-provider circuit breaker and safe retries. */
  oauth: ResilientOAuth;
  audit: AuditLog;
  /** Cross-replica invalidation of the read caches (LISTEN/NOTIFY); started by the server only. */
  changes: ChangeFeed;
  services: ServiceStore;
  webhooks: { endpoints: EndpointService; deliveries: DeliveryService };
  /** The broker's JWT signing keys (JWKS, rotation). */
  signingKeys: SigningKeys;
  /** Connections listed and read, as the admin or a service (policy applied) sees them. */
  connections: ConnectionQueries;
  /** The token read path and the one refresh mechanism. */
  tokens: TokenService;
  /** `POST /oauth/token`. */
  tokenEndpoint: TokenEndpoint;
  /** Admin management of providers (create, update, delete, discovery refresh). */
  providerRegistry: ProviderRegistry;
  /** Connect sessions and the browser consent flow. */
  connect: Connect;
  /** Shared fixed-window counters and the failed-authentication guard. */
  rateLimits: RateLimits;
  /** Connections made without a browser: client credentials, API keys, basic auth. */
  directConnections: DirectConnections;
  /** RFC 8628 device authorizations. */
  deviceSessions: DeviceSessions;
  /** `POST /webhooks/providers/{key}`: verified, deduplicated, forwarded provider webhooks. */
  providerWebhooks: ProviderWebhooks;
  /** `ANY /v1/connections/{id}/proxy/{path}`: calls to the provider's API with the credential injected. */
  proxy: Proxy;
}

/**
 * Builds the domain services from their dependencies.
 *
 * @example
 * const container = createContainer({ config, db, logger, clock: systemClock, keyring });
 */
export function createContainer(deps: {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  clock: Clock;
  /** Opened by `openKeyring` (src/vault/open.ts): DEKs loaded, nonces claimed. */
  keyring: Keyring;
}): Container {
  const { keyring } = deps;
  const { prisma, pool } = deps.db;
  const { clock, logger } = deps;
  const issuer = deps.config.publicUrl;
  const providers = createProviderStore({ prisma, keyring });
  // Outermost span: one provider.<call> span covers the resilience layer's retries.
  const oauth = traceProviderCalls(
    withResilience(
      createProviderOAuth({
        timeoutSeconds: PROVIDER_TIMEOUT_SECONDS,
        allowPrivateUrls: deps.config.providerAllowPrivateUrls,
      }),
    ),
  );
  const audit = createAuditLog({ pool, logger, failClosed: deps.config.auditFailClosed });
  const signingKeys = createSigningKeys({ prisma, keyring, clock });
  const brokerJwt = createBrokerJwt({ keys: signingKeys, clock, issuer });
  const changes = createChangeFeed({ url: deps.config.databaseUrl, logger });
  const services = createServiceStore({
    prisma,
    brokerJwt,
    changes,
    clock,
    production: deps.config.nodeEnv === 'production',
  });
  const grantDeps = {
    prisma,
    keyring,
    providers,
    oauth,
    audit,
    clock,
    logger,
    refreshWindowSeconds: deps.config.refreshWindowSeconds,
    refreshKeepAliveDays: deps.config.refreshKeepAliveDays,
  };
  const tokens = createTokenService({
    ...grantDeps,
    pool,
    changes,
    forcedRefreshIntervalSeconds: deps.config.forcedRefreshIntervalSeconds,
    providerCalls: deps.db.providerCalls,
  });
  const providerRegistry = createProviderRegistry({
    prisma,
    keyring,
    providers,
    clock,
    logger,
    timeoutSeconds: PROVIDER_TIMEOUT_SECONDS,
    allowPrivateUrls: deps.config.providerAllowPrivateUrls,
  });
  const clients = createClientAuthenticator({
    prisma,
    services,
    clock,
    audiences: [`${issuer}/oauth/token`, issuer],
  });
  const rateLimits = createRateLimits({ pool, clock, ...deps.config.rateLimits });
  const container: Container = {
    ...deps,
    providerWebhooks: createProviderWebhooks({
      prisma,
      keyring,
      clock,
      logger,
      audit,
      limiter: rateLimits.limiter,
      perMinute: deps.config.providerWebhooksPerMinute,
      // A provider-sent revocation is an admin revoke in all but who asked.
      revokeConnection: (id, origin) =>
        revokeConnection(container, id, { type: 'system', id: 'provider-webhook', origin }),
    }),
    directConnections: createDirectConnections(grantDeps),
    proxy: createProxy({
      tokens,
      providers,
      breaker: oauth,
      rateLimits: createRateMemory({ pool, changes, clock, logger }),
      pools: createUpstreamPools({
        allowPrivate: deps.config.providerAllowPrivateUrls,
        connections: PROXY_CONNECTIONS_PER_ORIGIN,
      }),
      clock,
      ...deps.config.proxy,
      allowPrivate: deps.config.providerAllowPrivateUrls,
    }),
    deviceSessions: createDeviceSessions(grantDeps),
    keyring,
    providers,
    oauth,
    audit,
    changes,
    services,
    signingKeys,
    tokens,
    connections: createConnectionQueries({ prisma }),
    tokenEndpoint: createTokenEndpoint({ clients, jwt: brokerJwt, tokens, clock }),
    webhooks: {
      endpoints: createEndpointService({
        prisma,
        keyring,
        clock,
        allowPrivateUrls: deps.config.webhookAllowPrivateUrls,
        production: deps.config.nodeEnv === 'production',
      }),
      deliveries: createDeliveryService({ prisma, clock }),
    },
    providerRegistry,
    rateLimits,
    connect: createConnect({
      prisma,
      keyring,
      providers,
      registry: providerRegistry,
      oauth,
      clock,
      logger,
      audit,
      publicUrl: deps.config.publicUrl,
      refreshWindowSeconds: deps.config.refreshWindowSeconds,
      refreshKeepAliveDays: deps.config.refreshKeepAliveDays,
      // Changing the admin token only invalidates connect pages open at that moment.
      csrfSecret: createHmac('sha256', 'token-broker/connect-csrf')
        .update(deps.config.adminApiToken)
        .digest('base64url'),
    }),
  };
  return container;
}

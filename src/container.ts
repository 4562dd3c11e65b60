import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import type { Clock } from './clock.js';
import { createConnect, type Connect } from './connect/index.js';
import type { ResolvedConfig } from './config/index.js';
import type { Database } from './db/client.js';
import type { Logger } from './observability/logger.js';
import { createProviderOAuth, type ProviderOAuth } from './providers/oauth-client.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { createProviderStore, type ProviderStore } from './providers/store.js';
import { createServiceStore, type ServiceStore } from './services/service-store.js';
import { Keyring } from './vault/keyring.js';
import { createDeliveryService, type DeliveryService } from './webhooks/deliveries.js';
import { createEndpointService, type EndpointService } from './webhooks/endpoints.js';

/** Seconds any single provider call may take. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** Everything a request handler or background job may reach, built once per process. */
export interface Container {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  clock: Clock;
  keyring: Keyring;
  providers: ProviderStore;
  oauth: ProviderOAuth;
  audit: AuditLog;
  services: ServiceStore;
  webhooks: { endpoints: EndpointService; deliveries: DeliveryService };
  /** Admin management of providers (create, update, delete, discovery refresh). */
  providerRegistry: ProviderRegistry;
  /** Connect sessions and the browser consent flow. */
  connect: Connect;
}

/**
 * Builds the domain services from their dependencies.
 *
 * @example
 * const container = createContainer({ config, db, logger, clock: systemClock });
 */
export function createContainer(deps: {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  clock: Clock;
}): Container {
  const keyring = new Keyring(deps.config.encryptionKeys);
  const { prisma } = deps.db;
  const providers = createProviderStore({ prisma, keyring });
  const oauth = createProviderOAuth({ timeoutSeconds: PROVIDER_TIMEOUT_SECONDS });
  const audit = createAuditLog({ pool: deps.db.pool, logger: deps.logger });
  const providerRegistry = createProviderRegistry({
    prisma,
    keyring,
    providers,
    clock: deps.clock,
    logger: deps.logger,
    timeoutSeconds: PROVIDER_TIMEOUT_SECONDS,
  });
  return {
    ...deps,
    keyring,
    providers,
    oauth,
    audit,
    services: createServiceStore({ prisma }),
    webhooks: {
      endpoints: createEndpointService({
        prisma,
        keyring,
        clock: deps.clock,
        allowPrivateUrls: deps.config.webhookAllowPrivateUrls,
      }),
      deliveries: createDeliveryService({ prisma, clock: deps.clock }),
    },
    providerRegistry,
    connect: createConnect({
      prisma,
      keyring,
      providers,
      registry: providerRegistry,
      oauth,
      clock: deps.clock,
      logger: deps.logger,
      audit,
      publicUrl: deps.config.publicUrl,
      refreshWindowSeconds: deps.config.refreshWindowSeconds,
    }),
  };
}

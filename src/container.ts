import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import type { Clock } from './clock.js';
import type { ResolvedConfig } from './config/index.js';
import type { Database } from './db/client.js';
import type { Logger } from './observability/logger.js';
import { traceProviderCalls } from './observability/spans.js';
import { createProviderOAuth, type ProviderOAuth } from './providers/oauth-client.js';
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
  return {
    ...deps,
    keyring,
    providers: createProviderStore({ prisma: deps.db.prisma, keyring }),
    oauth: traceProviderCalls(createProviderOAuth({ timeoutSeconds: PROVIDER_TIMEOUT_SECONDS })),
    audit: createAuditLog({ pool: deps.db.pool, logger: deps.logger }),
    services: createServiceStore({ prisma: deps.db.prisma }),
    webhooks: {
      endpoints: createEndpointService({
        prisma: deps.db.prisma,
        keyring,
        clock: deps.clock,
        allowPrivateUrls: deps.config.webhookAllowPrivateUrls,
      }),
      deliveries: createDeliveryService({ prisma: deps.db.prisma, clock: deps.clock }),
    },
  };
}

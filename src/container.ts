import type { Clock } from './clock.js';
import type { ResolvedConfig } from './config/index.js';
import type { Database } from './db/client.js';
import type { Logger } from './observability/logger.js';
import { Keyring } from './vault/keyring.js';

/** Everything a request handler or background job may reach, built once per process. */
export interface Container {
  config: ResolvedConfig;
  db: Database;
  logger: Logger;
  clock: Clock;
  keyring: Keyring;
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
  return { ...deps, keyring: new Keyring(deps.config.encryptionKeys) };
}

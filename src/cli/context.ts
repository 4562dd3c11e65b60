import { resolveConfig, type AdminTokenSource } from '../config/resolve.js';
import { systemClock } from '../clock.js';
import { loadConfig, type ResolvedConfig } from '../config/index.js';
import { createContainer, type Container } from '../container.js';
import { createDatabase, type Database } from '../db/client.js';
import { createLogger } from '../observability/logger.js';
import { openKeyring } from '../vault/open.js';

export interface CliContext {
  config: ResolvedConfig;
  db: Database;
  /** The broker's own domain services, so commands run the same code as the API. */
  container: Container;
  close(): Promise<void>;
}

/** A CLI command run before the first start created the secrets: say where they went. */
function noteGeneratedSecrets(source: AdminTokenSource): void {
  if (source.kind === 'dev-secrets' && source.generated) {
    process.stderr.write(
      `token-broker: generated development secrets in ${source.path} (the admin API token is there)\n`,
    );
  }
}

/**
 * The CLI talks to the database directly, with the broker's own configuration: the same
 * environment, or the development defaults under DATA_DIR (reusing a running embedded
 * Postgres when a broker is up).
 */
export async function openCliContext(): Promise<CliContext> {
  const logger = createLogger({ level: 'error' });
  const { config, embedded, adminToken } = await resolveConfig(loadConfig(process.env), logger);
  noteGeneratedSecrets(adminToken);
  const db = createDatabase(config.databaseUrl, { max: 4 });
  let keyring;
  try {
    keyring = await openKeyring(config, db.pool, logger);
  } catch (error) {
    await db.close();
    await embedded?.stop();
    throw error;
  }
  const container = createContainer({ config, db, logger, clock: systemClock, keyring });
  return {
    config,
    db,
    container,
    async close() {
      await container.audit.stop();
      await container.services.keys.stop();
      await keyring.close();
      await db.close();
      await embedded?.stop();
    },
  };
}

/** Runs `fn` with a CLI context and closes everything after, whatever happens. */
export async function withContext(fn: (c: CliContext) => Promise<void>): Promise<void> {
  const c = await openCliContext();
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

/** Runs `fn` with the database alone (`migrate` runs before the data keys' table exists). */
export async function withDatabase(fn: (db: Database) => Promise<void>): Promise<void> {
  const logger = createLogger({ level: 'error' });
  const { config, embedded, adminToken } = await resolveConfig(loadConfig(process.env), logger);
  noteGeneratedSecrets(adminToken);
  const db = createDatabase(config.databaseUrl, { max: 2 });
  try {
    await fn(db);
  } finally {
    await db.close();
    await embedded?.stop();
  }
}

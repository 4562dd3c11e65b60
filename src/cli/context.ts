import { resolveConfig } from '../bootstrap.js';
import { loadConfig, type ResolvedConfig } from '../config/index.js';
import { createDatabase, type Database } from '../db/client.js';
import { createLogger } from '../observability/logger.js';

export interface CliContext {
  config: ResolvedConfig;
  db: Database;
  close(): Promise<void>;
}

/**
 * The CLI talks to the database directly, with the broker's own configuration: the same
 * environment, or the development defaults under DATA_DIR (reusing a running embedded
 * Postgres when a broker is up).
 */
export async function openCliContext(): Promise<CliContext> {
  const logger = createLogger({ level: 'error' });
  const { config, embedded } = await resolveConfig(loadConfig(process.env), logger);
  const db = createDatabase(config.databaseUrl, { max: 4 });
  return {
    config,
    db,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}

import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import type { Logger } from '../observability/logger.js';
import { loadOrCreateDevSecrets } from './dev-secrets.js';
import type { Config, ResolvedConfig } from './index.js';

/** Where the admin API token came from, for the start-up guide (src/first-run-guide.ts). */
export type AdminTokenSource =
  | { kind: 'environment' }
  /** `generated`: this start created the file, so the token may be shown (once). */
  | { kind: 'dev-secrets'; path: string; generated: boolean };

/**
 * Fills what the environment left unset: development secrets kept under DATA_DIR, an
 * embedded Postgres, PUBLIC_URL from the port. Production never gets here with gaps
 * (loadConfig refuses), so nothing is generated there.
 */
export async function resolveConfig(
  config: Config,
  logger: Logger,
): Promise<{
  config: ResolvedConfig;
  embedded: EmbeddedDatabase | undefined;
  adminToken: AdminTokenSource;
}> {
  let { encryptionKeys, adminApiToken, databaseUrl } = config;
  let adminToken: AdminTokenSource = { kind: 'environment' };
  if (encryptionKeys === undefined || adminApiToken === undefined) {
    const dev = await loadOrCreateDevSecrets(config);
    encryptionKeys ??= dev.encryptionKeys;
    if (adminApiToken === undefined) {
      adminApiToken = dev.adminApiToken;
      adminToken = { kind: 'dev-secrets', path: dev.path, generated: dev.generated };
    }
    logger.warn(
      { path: dev.path },
      'using generated development secrets; set TOKEN_ENCRYPTION_KEYS and ADMIN_API_TOKEN in production',
    );
  }
  let embedded: EmbeddedDatabase | undefined;
  if (databaseUrl === undefined) {
    embedded = await startEmbeddedPostgres(join(config.dataDir, 'postgres'));
    databaseUrl = embedded.url;
    logger.warn(
      { dir: join(config.dataDir, 'postgres') },
      'DATABASE_URL unset: using embedded Postgres',
    );
  }
  return {
    config: {
      ...config,
      encryptionKeys,
      adminApiToken,
      databaseUrl,
      publicUrl: config.publicUrl ?? `http://localhost:${config.port}`,
    },
    embedded,
    adminToken,
  };
}

import { join } from 'node:path';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../db/embedded.js';
import type { Logger } from '../observability/logger.js';
import { loadOrCreateDevSecrets } from './dev-secrets.js';
import type { Config, ResolvedConfig } from './index.js';

/**
 * Fills what the environment left unset: development secrets kept under DATA_DIR, an
 * embedded Postgres, PUBLIC_URL from the port. Production never gets here with gaps
 * (loadConfig refuses), so nothing is generated there.
 */
export async function resolveConfig(
  config: Config,
  logger: Logger,
): Promise<{ config: ResolvedConfig; embedded: EmbeddedDatabase | undefined }> {
  let { encryptionKeys, adminApiToken, databaseUrl } = config;
  if (encryptionKeys === undefined || adminApiToken === undefined) {
    const dev = await loadOrCreateDevSecrets(config);
    encryptionKeys ??= dev.encryptionKeys;
    if (adminApiToken === undefined) {
      adminApiToken = dev.adminApiToken;
      if (dev.generated) {
        // Printed once, on purpose, to the terminal rather than the structured log.
        process.stdout.write(
          `\nGenerated development secrets in ${dev.path} (mode 0600).\n` +
            `Admin API token (shown once): ${dev.adminApiToken}\n\n`,
        );
      }
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
  };
}

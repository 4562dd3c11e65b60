import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, EncryptionKey } from './index.js';

export interface DevSecrets {
  encryptionKeys: EncryptionKey[];
  adminApiToken: string;
  /** True when this call created the file (the admin token is shown only then). */
  generated: boolean;
  path: string;
}

interface SecretsFile {
  encryption_keys: string;
  admin_api_token: string;
}

/**
 * Loads the development secrets kept in `DATA_DIR/secrets.json` (mode 0600), creating them
 * on first use. Only called outside production, for variables left unset.
 *
 * @example
 * const { adminApiToken, generated } = await loadOrCreateDevSecrets(config);
 */
export async function loadOrCreateDevSecrets(config: Pick<Config, 'dataDir'>): Promise<DevSecrets> {
  const path = join(config.dataDir, 'secrets.json');
  if (existsSync(path)) {
    const file = JSON.parse(await readFile(path, 'utf8')) as SecretsFile;
    return { ...decode(file), generated: false, path };
  }
  const file: SecretsFile = {
    encryption_keys: `dev-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`,
    admin_api_token: `tba_${randomBytes(32).toString('base64url')}`,
  };
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return { ...decode(file), generated: true, path };
}

function decode(file: SecretsFile): Pick<DevSecrets, 'encryptionKeys' | 'adminApiToken'> {
  return {
    encryptionKeys: file.encryption_keys.split(',').map((entry) => {
      const at = entry.indexOf(':');
      return { kid: entry.slice(0, at), key: Buffer.from(entry.slice(at + 1), 'base64') };
    }),
    adminApiToken: file.admin_api_token,
  };
}

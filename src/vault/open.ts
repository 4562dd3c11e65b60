import type pg from 'pg';
import type { ResolvedConfig } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { envKek, type KeyEncryptionKey } from './kek.js';
import { Keyring, type KekSet } from './keyring.js';
import { pkcs11Kek } from './pkcs11-kek.js';

/**
 * The configured KEKs: `env` always (it unwraps DEKs made before a move to an HSM, and it is
 * the zero-setup default), plus the HSM when TOKEN_KEK=pkcs11, which then wraps new DEKs.
 * A cloud KMS would be one more `kind` here.
 *
 * @throws KekError (one line) when the HSM cannot be opened.
 */
export async function openKeks(config: ResolvedConfig): Promise<KekSet> {
  const env = envKek(config.encryptionKeys);
  const byKind = new Map<string, KeyEncryptionKey>([['env', env]]);
  let current = env;
  if (config.kek.kind === 'pkcs11') {
    current = await pkcs11Kek(config.kek);
    byKind.set(current.kind, current);
  }
  return { current, byKind };
}

/**
 * The broker's keyring: KEKs opened, DEKs loaded from `data_keys` (the first one made when
 * there is none), a nonce block claimed. Start-up fails here on a wrong PIN or a missing key.
 *
 * @example
 * const keyring = await openKeyring(config, db.pool, logger);
 */
export async function openKeyring(
  config: ResolvedConfig,
  pool: pg.Pool,
  logger?: Logger,
): Promise<Keyring> {
  const keks = await openKeks(config);
  try {
    return await Keyring.open(config.encryptionKeys, {
      pool,
      keks,
      maxUses: BigInt(config.dekMaxUses),
      leaseMs: config.keyLeaseSeconds * 1000,
      onError: (error, what) =>
        logger?.warn({ err: error instanceof Error ? error.message : String(error) }, what),
    });
  } catch (error) {
    await Promise.all([...keks.byKind.values()].map((k) => k.close()));
    throw error;
  }
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config/index.js';

/**
 * A key encryption key: it only wraps and unwraps data keys, never touches a field. A
 * provider is one object with these members; adding a cloud KMS (AWS KMS `Encrypt`/`Decrypt`,
 * GCP KMS, Vault Transit `encrypt`/`decrypt`) means one more implementation chosen in
 * `openKeks` — the keyring and every caller stay as they are.
 */
export interface KeyEncryptionKey {
  /** Stored beside each wrapped DEK (`data_keys.kek_kind`). */
  readonly kind: string;
  /** The key that wraps new DEKs (an env kid, an HSM key label); stored as `kek_id`. */
  readonly currentId: string;
  /** Whether `unwrap` can open a DEK wrapped under `kekId`. */
  has(kekId: string): boolean;
  wrap(dek: Buffer, aad: Buffer): Promise<{ kekId: string; wrapped: Buffer }>;
  /** @throws Error when the key is unknown or the wrapped bytes fail authentication. */
  unwrap(wrapped: Buffer, kekId: string, aad: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

const IV = 12;
const TAG = 16;

/**
 * The zero-setup KEK: the keys of `TOKEN_ENCRYPTION_KEYS` (the first wraps, all unwrap),
 * AES-256-GCM with a random IV — a DEK is wrapped a handful of times in its life.
 */
export function envKek(keys: readonly EncryptionKey[]): KeyEncryptionKey {
  const byKid = new Map(keys.map((k) => [k.kid, k.key]));
  const [first] = keys;
  if (!first) throw new Error('the env KEK needs at least one key');
  return {
    kind: 'env',
    currentId: first.kid,
    has: (kekId) => byKid.has(kekId),
    wrap(dek, aad) {
      const iv = randomBytes(IV);
      const cipher = createCipheriv('aes-256-gcm', first.key, iv);
      cipher.setAAD(aad);
      const data = Buffer.concat([cipher.update(dek), cipher.final()]);
      return Promise.resolve({
        kekId: first.kid,
        wrapped: Buffer.concat([iv, cipher.getAuthTag(), data]),
      });
    },
    unwrap(wrapped, kekId, aad) {
      const key = byKid.get(kekId);
      if (!key) {
        return Promise.reject(new Error(`KEK "${kekId}" is not in TOKEN_ENCRYPTION_KEYS`));
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, IV));
        decipher.setAAD(aad);
        decipher.setAuthTag(wrapped.subarray(IV, IV + TAG));
        return Promise.resolve(
          Buffer.concat([decipher.update(wrapped.subarray(IV + TAG)), decipher.final()]),
        );
      } catch {
        return Promise.reject(
          new Error(`KEK "${kekId}" does not unwrap the data key (different key material?)`),
        );
      }
    },
    close: () => Promise.resolve(),
  };
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { toBytes } from '../db/bytes.js';
import { BrokerError } from '../errors/index.js';
import type { EncryptionKey } from '../config/index.js';

const FORMAT_V1 = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Names the row and field a ciphertext belongs to; it is authenticated, not stored. */
export interface CipherContext {
  table: string;
  id: string;
  field: string;
}

const aad = (ctx: CipherContext) => Buffer.from(`${ctx.table}\u0000${ctx.id}\u0000${ctx.field}`);

/**
 * AES-256-GCM envelope encryption under versioned keys. The first key encrypts; every
 * key decrypts. A ciphertext is `[format][iv][tag][data]`; its key id is stored beside it
 * in the row (`key_id`) so rotation can find rows under old keys with an index.
 *
 * @example
 * const keyring = new Keyring(config.encryptionKeys);
 * const sealed = keyring.encrypt('secret', { table: 'token_sets', id, field: 'access_token' });
 * keyring.decrypt(sealed, keyring.currentKid, ctx); // 'secret'
 */
export class Keyring {
  private readonly byKid: Map<string, Buffer>;
  readonly currentKid: string;

  constructor(keys: readonly EncryptionKey[]) {
    const [first] = keys;
    if (!first) throw new Error('Keyring needs at least one key');
    this.currentKid = first.kid;
    this.byKid = new Map(keys.map((k) => [k.kid, k.key]));
  }

  /** Whether a key id can still be decrypted with this keyring. */
  has(kid: string): boolean {
    return this.byKid.has(kid);
  }

  /** Encrypts under the current key; the caller stores `currentKid` beside the result. */
  encrypt(plaintext: string, ctx: CipherContext): Uint8Array<ArrayBuffer> {
    const key = this.byKid.get(this.currentKid) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(ctx));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), data]);
    return toBytes(sealed);
  }

  /**
   * @throws BrokerError `server_error` when the key is unknown, or the ciphertext was
   *   altered or belongs to another row or field.
   */
  decrypt(sealed: Uint8Array, kid: string, ctx: CipherContext): string {
    const key = this.byKid.get(kid);
    if (!key) throw new BrokerError('server_error', `encryption key "${kid}" is not configured`);
    const buf = Buffer.from(sealed);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES || buf[0] !== FORMAT_V1) {
      throw new BrokerError('server_error', 'unrecognised ciphertext format');
    }
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAAD(aad(ctx));
      decipher.setAuthTag(tag);
      return Buffer.concat([
        decipher.update(buf.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new BrokerError(
        'server_error',
        `ciphertext of ${ctx.table}.${ctx.field} failed authentication`,
        { cause },
      );
    }
  }
}

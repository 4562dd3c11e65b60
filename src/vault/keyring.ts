import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { toBytes } from '../db/bytes.js';
import { BrokerError } from '../errors/index.js';
import type { EncryptionKey } from '../config/index.js';
import { claimNonces, createDataKey, listDataKeys, wrapAad, type DataKeyRow } from './data-keys.js';
import type { KeyEncryptionKey } from './kek.js';

/** Direct encryption under a TOKEN_ENCRYPTION_KEYS key: written before envelope encryption. */
const FORMAT_V1 = 1;
/** Envelope encryption: `[2][DEK id u32][nonce 12][tag 16][data]`. */
const FORMAT_V2 = 2;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const V2_HEADER = 1 + 4 + IV_BYTES + TAG_BYTES;

/** Names the row and field a ciphertext belongs to; it is authenticated, not stored. */
export interface CipherContext {
  table: string;
  id: string;
  field: string;
}

const aadV1 = (ctx: CipherContext) => Buffer.from(`${ctx.table}\u0000${ctx.id}\u0000${ctx.field}`);
// The DEK id is in the AAD too: a ciphertext is bound to its key version as well as its cell.
const aadV2 = (dekId: number, ctx: CipherContext) =>
  Buffer.from(`tb2\u0000${dekId}\u0000${ctx.table}\u0000${ctx.id}\u0000${ctx.field}`);

/** The row key id of ciphertexts under DEK `id` (`:` never occurs in a TOKEN_ENCRYPTION_KEYS kid). */
export const dekKid = (id: number) => `d${id}:2`;
/** The DEK id of a row key id, or undefined for a TOKEN_ENCRYPTION_KEYS kid. */
export const dekIdOf = (kid: string): number | undefined => {
  const m = /^d(\d+):2$/.exec(kid);
  return m ? Number(m[1]) : undefined;
};

/** The key encryption keys: `current` wraps new DEKs; `byKind` unwraps (env always included). */
export interface KekSet {
  current: KeyEncryptionKey;
  byKind: ReadonlyMap<string, KeyEncryptionKey>;
}

export interface EnvelopeOptions {
  pool: pg.Pool;
  keks: KekSet;
  /** Encryptions per DEK before a new one takes over (TOKEN_DEK_MAX_USES). */
  maxUses: bigint;
  /**
   * TOKEN_KEY_LEASE_SECONDS in ms: a claimed nonce block is used at most this long, and a new
   * DEK is usable only this long after its creation, so every replica has loaded it first.
   */
  leaseMs: number;
  /** Where background failures (renewing nonces, loading keys) are reported. */
  onError?: (error: unknown, what: string) => void;
}

interface Block {
  dekId: number;
  next: bigint;
  end: bigint;
  /** performance.now() before the claim was sent: the lease runs from there. */
  claimedAt: number;
}

const MIN_BLOCK = 256;
const MAX_BLOCK = 65_536;

/**
 * AES-256-GCM field encryption. Two formats decrypt side by side:
 * - v1, written before envelope encryption: directly under a `TOKEN_ENCRYPTION_KEYS` key,
 *   random IV, the key id stored beside the ciphertext in the row (`key_id`);
 * - v2: under a data key (DEK) from `data_keys`, which is stored wrapped by the KEK and
 *   unwrapped into memory only. Nonces are a per-DEK counter claimed by this replica in
 *   blocks, so none repeats across replicas; the counter is the DEK's use count and a new
 *   DEK takes over at `maxUses`. The ciphertext names its DEK, and the row's `key_id`
 *   (`d<id>:2`) names it too for rotation's indexes.
 *
 * Encryption and decryption stay synchronous (no DB or HSM on the hot path): DEKs are loaded
 * ahead — every replica reloads the list each lease/3, and a new DEK is only used one lease
 * after it was made.
 *
 * Without envelope options (unit tests, tools) the keyring writes v1 as before.
 *
 * @example
 * const keyring = await Keyring.open(config.encryptionKeys, { pool, keks, maxUses, leaseMs });
 * const sealed = keyring.encrypt('secret', { table: 'token_sets', id, field: 'access_token' });
 * keyring.decrypt(sealed, keyring.currentKid, ctx); // 'secret'
 */
export class Keyring {
  private readonly legacy: Map<string, Buffer>;
  private readonly legacyKid: string;
  private readonly deks = new Map<number, Buffer>();
  private readonly retired = new Set<number>();
  private readonly loading = new Map<number, Promise<void>>();
  private rows: DataKeyRow[] = [];
  private block: Block | undefined;
  /** Random-nonce encryptions per DEK not yet added to its counter. */
  private readonly debt = new Map<number, number>();
  private blockSize = MIN_BLOCK;
  private renewing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    keys: readonly EncryptionKey[],
    private readonly envelope?: EnvelopeOptions,
  ) {
    const [first] = keys;
    if (!first) throw new Error('Keyring needs at least one key');
    this.legacyKid = first.kid;
    this.legacy = new Map(keys.map((k) => [k.kid, k.key]));
    this.blockSize = this.initialBlock();
  }

  /** An envelope keyring, with its DEKs loaded and a nonce block claimed. */
  static async open(keys: readonly EncryptionKey[], envelope: EnvelopeOptions): Promise<Keyring> {
    const keyring = new Keyring(keys, envelope);
    await keyring.refresh();
    await keyring.renew();
    keyring.timer = setInterval(() => void keyring.tick(), Math.max(50, envelope.leaseMs / 3));
    keyring.timer.unref();
    return keyring;
  }

  /** A keyring that only decrypts (doctor, status): DEKs loaded, nothing claimed or made. */
  static async forReading(
    keys: readonly EncryptionKey[],
    envelope: EnvelopeOptions,
  ): Promise<Keyring> {
    const keyring = new Keyring(keys, envelope);
    await keyring.refresh();
    return keyring;
  }

  /** The key id to store beside what `encrypt` returns now. */
  get currentKid(): string {
    if (!this.envelope) return this.legacyKid;
    return dekKid(this.liveBlock().dekId);
  }

  /** Whether ciphertexts under a row key id can be decrypted here. */
  has(kid: string): boolean {
    const dek = dekIdOf(kid);
    return dek === undefined ? this.legacy.has(kid) : this.deks.has(dek);
  }

  /** The KEK that wraps new DEKs, for status output. */
  get kek(): { kind: string; id: string } | undefined {
    const k = this.envelope?.keks.current;
    return k && { kind: k.kind, id: k.currentId };
  }

  /** Encrypts under the current key; the caller stores `currentKid` beside the result. */
  encrypt(plaintext: string, ctx: CipherContext): Uint8Array<ArrayBuffer> {
    if (!this.envelope) return this.encryptV1(plaintext, ctx);
    const block = this.liveBlock();
    const iv = Buffer.alloc(IV_BYTES);
    if (block.next < block.end) {
      // Counter nonces: 4 zero bytes, then the 64-bit counter.
      iv.writeBigUInt64BE(block.next, 4);
      block.next += 1n;
      if (block.end - block.next < BigInt(this.blockSize) / 2n) this.renewSoon(true);
    } else {
      // The block ran out before its successor arrived: a random nonce with the top bit set
      // (never equal to a counter nonce), counted against the DEK at the next claim.
      randomBytes(IV_BYTES).copy(iv);
      iv[0] = (iv[0] as number) | 0x80;
      this.debt.set(block.dekId, (this.debt.get(block.dekId) ?? 0) + 1);
      this.renewSoon(true);
    }
    const key = this.deks.get(block.dekId) as Buffer;
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aadV2(block.dekId, ctx));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const head = Buffer.alloc(5);
    head[0] = FORMAT_V2;
    head.writeUInt32BE(block.dekId, 1);
    return toBytes(Buffer.concat([head, iv, cipher.getAuthTag(), data]));
  }

  /**
   * @throws BrokerError `server_error` when the key is unknown or retired, or the ciphertext
   *   was altered or belongs to another row, field or key version; `upstream_unavailable`
   *   when its DEK is not loaded yet (it is being loaded: a retry succeeds).
   */
  decrypt(sealed: Uint8Array, kid: string, ctx: CipherContext): string {
    const buf = Buffer.from(sealed);
    if (buf[0] === FORMAT_V1) return this.decryptV1(buf, kid, ctx);
    if (buf[0] !== FORMAT_V2 || buf.length < V2_HEADER) {
      throw new BrokerError('server_error', 'unrecognised ciphertext format');
    }
    const dekId = buf.readUInt32BE(1);
    const key = this.deks.get(dekId);
    if (!key) {
      if (this.retired.has(dekId)) {
        throw new BrokerError(
          'server_error',
          `ciphertext of ${ctx.table}.${ctx.field} is under retired data key d${dekId}`,
        );
      }
      void this.load(dekId).catch((error: unknown) => this.report(error, 'loading a data key'));
      throw new BrokerError('upstream_unavailable', `data key d${dekId} is being loaded; retry`);
    }
    return open(key, buf.subarray(5, 17), buf.subarray(17, V2_HEADER), buf.subarray(V2_HEADER), {
      aad: aadV2(dekId, ctx),
      ctx,
    });
  }

  /** `decrypt`, loading the ciphertext's DEK first when needed (rotation, tools). */
  async decryptLoading(sealed: Uint8Array, kid: string, ctx: CipherContext): Promise<string> {
    const buf = Buffer.from(sealed);
    if (buf[0] === FORMAT_V2 && buf.length >= V2_HEADER) await this.load(buf.readUInt32BE(1));
    return this.decrypt(sealed, kid, ctx);
  }

  /** Makes sure the next `count` encryptions use counter nonces of one fresh block. */
  async reserve(count: number): Promise<void> {
    if (!this.envelope) return;
    const b = this.block;
    if (
      b &&
      b.end - b.next >= BigInt(count) &&
      performance.now() - b.claimedAt < this.leaseMs() / 2
    ) {
      return;
    }
    await this.renew(count);
  }

  /**
   * Seals under DEK `dekId` (or a newer one) from now on: rotation, once its new DEK is usable.
   * A claim already in flight may have chosen an older DEK before this one became usable, so
   * it is let finish and a fresh claim follows.
   *
   * @throws Error when no claim reaches `dekId` (it is not usable yet, or is full).
   */
  async switchTo(dekId: number): Promise<void> {
    await this.refresh();
    await this.renewing?.catch(() => undefined);
    await this.renew();
    const now = this.block?.dekId ?? 0;
    if (now < dekId) throw new Error(`nonces were claimed under d${now}:2, not d${dekId}:2`);
  }

  /**
   * Re-wraps every DEK not wrapped by the current KEK (after a new key was put first in
   * TOKEN_ENCRYPTION_KEYS, or a move to the HSM). Conditional updates: replicas may race.
   */
  async rewrapDataKeys(onProgress?: (done: number, total: number) => void): Promise<number> {
    const env = this.requireEnvelope();
    const kek = env.keks.current;
    const todo = (await listDataKeys(env.pool)).filter(
      (r) => r.wrapped && !r.retiredAt && (r.kekKind !== kek.kind || r.kekId !== kek.currentId),
    );
    let done = 0;
    onProgress?.(done, todo.length);
    for (const row of todo) {
      const from = env.keks.byKind.get(row.kekKind);
      if (!from)
        throw new Error(
          `data key d${row.id} is wrapped by a ${row.kekKind} KEK, which is not configured`,
        );
      const dek = await from.unwrap(row.wrapped as Buffer, row.kekId, wrapAad(row.id));
      const { kekId, wrapped } = await kek.wrap(dek, wrapAad(row.id));
      dek.fill(0);
      const { rowCount } = await env.pool.query(
        `UPDATE data_keys SET kek_kind = $2, kek_id = $3, wrapped = $4
          WHERE id = $1 AND kek_kind = $5 AND kek_id = $6 AND wrapped IS NOT NULL`,
        [row.id, kek.kind, kekId, wrapped, row.kekKind, row.kekId],
      );
      done += rowCount ?? 0;
      onProgress?.(done, todo.length);
    }
    await this.refresh();
    return done;
  }

  /** A new DEK for `keys rotate --new-dek`, usable one lease from now. */
  async createRotationKey(leaseMs: number): Promise<number> {
    const env = this.requireEnvelope();
    return (await createDataKey(env.pool, env.keks.current, env.maxUses, {
      kind: 'rotate',
      leaseMs,
    })) as number;
  }

  /** The DEKs as last read from `data_keys`. */
  dataKeys(): readonly DataKeyRow[] {
    return this.rows;
  }

  /** Reloads `data_keys`: unwraps new DEKs, forgets retired ones. */
  async refresh(): Promise<void> {
    const env = this.envelope;
    if (!env) return;
    this.rows = await listDataKeys(env.pool);
    for (const row of this.rows) {
      if (row.retiredAt || !row.wrapped) {
        this.deks.delete(row.id);
        this.retired.add(row.id);
      } else if (!this.deks.has(row.id)) {
        await this.load(row.id, row);
      }
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.renewing?.catch(() => undefined);
    if (this.envelope) {
      await this.settleDebt().catch((error: unknown) => this.report(error, 'counting key uses'));
    }
    const keks = this.envelope?.keks;
    if (keks) await Promise.all([...keks.byKind.values()].map((k) => k.close()));
    for (const key of this.deks.values()) key.fill(0);
    this.deks.clear();
  }

  /** Blocks are at most an eighth of a DEK's uses, so a small TOKEN_DEK_MAX_USES still rolls. */
  private blockCap(): number {
    return Math.max(1, Math.min(MAX_BLOCK, Number((this.envelope?.maxUses ?? 8n) / 8n)));
  }

  private initialBlock(): number {
    return Math.min(MIN_BLOCK, this.blockCap());
  }

  private requireEnvelope(): EnvelopeOptions {
    if (!this.envelope) throw new Error('key rotation needs the envelope keyring (openKeyring)');
    return this.envelope;
  }

  private leaseMs(): number {
    return this.envelope?.leaseMs ?? 0;
  }

  private liveBlock(): Block {
    const block = this.block;
    if (!block || performance.now() - block.claimedAt >= this.leaseMs()) {
      // Only when the database was unreachable for half a lease: the write would fail too.
      this.renewSoon(false);
      throw new BrokerError('upstream_unavailable', 'encryption nonces could not be renewed');
    }
    return block;
  }

  private async tick(): Promise<void> {
    try {
      await this.refresh();
      const b = this.block;
      if (!b || performance.now() - b.claimedAt >= this.leaseMs() / 2) {
        // Renewed by age rather than use: traffic is low, so blocks go back to the smallest.
        this.blockSize = this.initialBlock();
        await this.renew();
      }
    } catch (error) {
      this.report(error, 'renewing data keys');
    }
  }

  private renewSoon(byUse: boolean): void {
    if (this.renewing) return;
    // Used up within one lease: traffic is high, so the next block is twice as large.
    if (byUse) this.blockSize = Math.min(this.blockCap(), this.blockSize * 2);
    void this.renew().catch((error: unknown) => this.report(error, 'claiming nonces'));
  }

  private renew(atLeast = 0): Promise<void> {
    this.renewing ??= this.claim(atLeast).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  private async claim(atLeast: number): Promise<void> {
    const env = this.envelope as EnvelopeOptions;
    await this.settleDebt();
    const count = Math.max(this.blockSize, atLeast);
    if (BigInt(count) > env.maxUses) {
      throw new Error(`${count} nonces exceed TOKEN_DEK_MAX_USES (${env.maxUses})`);
    }
    const claimedAt = performance.now();
    let claim = await claimNonces(env.pool, count);
    if (!claim) {
      await createDataKey(env.pool, env.keks.current, env.maxUses, { kind: 'none-usable' });
      claim = await claimNonces(env.pool, count);
    }
    if (!claim) throw new Error('no data key has room for a nonce block');
    await this.load(claim.dekId);
    this.block = { dekId: claim.dekId, next: claim.start, end: claim.end, claimedAt };
    if (claim.used * 2n >= claim.limit) {
      const after = claim.dekId;
      void createDataKey(env.pool, env.keks.current, env.maxUses, {
        kind: 'successor',
        after,
        leaseMs: env.leaseMs,
      })
        .then(() => this.refresh())
        .catch((error: unknown) => this.report(error, 'creating the next data key'));
    }
  }

  /** Adds the random-nonce encryptions to their DEKs' use counts. */
  private async settleDebt(): Promise<void> {
    const env = this.envelope as EnvelopeOptions;
    for (const [dekId, n] of [...this.debt]) {
      await env.pool.query(`UPDATE data_keys SET nonce_next = nonce_next + $2 WHERE id = $1`, [
        dekId,
        n,
      ]);
      const left = (this.debt.get(dekId) ?? 0) - n;
      if (left === 0) this.debt.delete(dekId);
      else this.debt.set(dekId, left);
    }
  }

  private load(dekId: number, known?: DataKeyRow): Promise<void> {
    if (this.deks.has(dekId)) return Promise.resolve();
    let pending = this.loading.get(dekId);
    if (!pending) {
      pending = this.unwrap(dekId, known).finally(() => this.loading.delete(dekId));
      this.loading.set(dekId, pending);
    }
    return pending;
  }

  private async unwrap(dekId: number, known?: DataKeyRow): Promise<void> {
    const env = this.envelope;
    if (!env) throw new BrokerError('server_error', `data key d${dekId} needs envelope keys`);
    const row = known ?? (await listDataKeys(env.pool)).find((r) => r.id === dekId);
    if (!row) throw new BrokerError('server_error', `data key d${dekId} does not exist`);
    if (!row.wrapped || row.retiredAt) {
      this.retired.add(dekId);
      return;
    }
    const kek = env.keks.byKind.get(row.kekKind);
    if (!kek) {
      throw new Error(
        `data key d${dekId} is wrapped by a ${row.kekKind} KEK, which is not configured`,
      );
    }
    try {
      this.deks.set(dekId, await kek.unwrap(row.wrapped, row.kekId, wrapAad(dekId)));
    } catch (error) {
      throw new Error(`data key d${dekId}: ${(error as Error).message}`, { cause: error });
    }
  }

  private report(error: unknown, what: string): void {
    this.envelope?.onError?.(error, what);
  }

  private encryptV1(plaintext: string, ctx: CipherContext): Uint8Array<ArrayBuffer> {
    const key = this.legacy.get(this.legacyKid) as Buffer;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aadV1(ctx));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return toBytes(Buffer.concat([Buffer.from([FORMAT_V1]), iv, cipher.getAuthTag(), data]));
  }

  private decryptV1(buf: Buffer, kid: string, ctx: CipherContext): string {
    const key = this.legacy.get(kid);
    if (!key) throw new BrokerError('server_error', `encryption key "${kid}" is not configured`);
    if (buf.length < 1 + IV_BYTES + TAG_BYTES) {
      throw new BrokerError('server_error', 'unrecognised ciphertext format');
    }
    const iv = buf.subarray(1, 1 + IV_BYTES);
    const tag = buf.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    return open(key, iv, tag, buf.subarray(1 + IV_BYTES + TAG_BYTES), { aad: aadV1(ctx), ctx });
  }
}

function open(
  key: Buffer,
  iv: Buffer,
  tag: Buffer,
  data: Buffer,
  o: { aad: Buffer; ctx: CipherContext },
): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(o.aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new BrokerError(
      'server_error',
      `ciphertext of ${o.ctx.table}.${o.ctx.field} failed authentication`,
      { cause },
    );
  }
}

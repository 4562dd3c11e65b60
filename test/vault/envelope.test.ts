import { randomBytes } from 'node:crypto';
import { envKek } from '../../src/vault/kek.js';
import { Keyring, dekIdOf, type EnvelopeOptions } from '../../src/vault/keyring.js';
import { rotateEncryptionKeys } from '../../src/vault/rotate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const k = (kid: string) => ({ kid, key: randomBytes(32) });
const ctx = (id: string, field = 'access_token') => ({ table: 'token_sets', id, field });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('envelope keyring against Postgres', () => {
  let db: TestDatabase;
  const envKey = k('k1');
  const open: Keyring[] = [];
  const options = (over: Partial<EnvelopeOptions> = {}): EnvelopeOptions => ({
    pool: db.pool,
    keks: { current: envKek([envKey]), byKind: new Map([['env', envKek([envKey])]]) },
    maxUses: 1n << 28n,
    leaseMs: 10_000,
    ...over,
  });
  const openKeyring = async (over: Partial<EnvelopeOptions> = {}) => {
    const keyring = await Keyring.open([envKey], options(over));
    open.push(keyring);
    return keyring;
  };

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((kr) => kr.close()));
    await db.drop();
  });

  it('makes the first data key, stores it only wrapped, and seals fields under it', async () => {
    const keyring = await openKeyring();
    const { rows } = await db.pool.query<{ id: number; wrapped: Buffer; kek_id: string }>(
      'SELECT id, wrapped, kek_id FROM data_keys',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]?.kek_id).toBe('k1');
    expect(keyring.currentKid).toBe(`d${rows[0]?.id}:2`);
    const sealed = keyring.encrypt('gho_secret-token', ctx('c1'));
    expect(sealed[0]).toBe(2);
    expect(Buffer.from(sealed).toString('latin1')).not.toContain('gho_secret');
    expect(keyring.decrypt(sealed, keyring.currentKid, ctx('c1'))).toBe('gho_secret-token');
    // A second replica unwraps the same DEK from the database.
    const other = await openKeyring();
    expect(other.decrypt(sealed, keyring.currentKid, ctx('c1'))).toBe('gho_secret-token');
  });

  it('switching to a rotation key waits out a claim that chose the older key', async () => {
    const keyring = await openKeyring({ leaseMs: 1000 });
    const target = await keyring.createRotationKey(1000);
    // A claim is sent while only d1 is usable, and held on d1's row lock until d2 is usable.
    const lock = await db.pool.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM data_keys WHERE id = 1 FOR UPDATE');
    const inFlight = keyring.reserve(100_000);
    await sleep(1200);
    const switched = keyring.switchTo(target);
    await sleep(50);
    await lock.query('COMMIT');
    lock.release();
    await inFlight;
    await switched;
    expect(keyring.currentKid).toBe(`d${target}:2`);
  });

  it('refuses a ciphertext moved to another row or field, or altered', async () => {
    const keyring = await openKeyring();
    const sealed = keyring.encrypt('value', ctx('c1'));
    expect(() => keyring.decrypt(sealed, keyring.currentKid, ctx('c2'))).toThrow(
      'failed authentication',
    );
    expect(() => keyring.decrypt(sealed, keyring.currentKid, ctx('c1', 'refresh_token'))).toThrow(
      'failed authentication',
    );
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] = (tampered.at(-1) as number) ^ 1;
    expect(() => keyring.decrypt(tampered, keyring.currentKid, ctx('c1'))).toThrow(
      'failed authentication',
    );
  });

  it('never repeats a nonce across replicas, and counts every use in data_keys', async () => {
    const a = await openKeyring();
    const b = await openKeyring();
    const nonces = new Set<string>();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      for (const kr of [a, b]) {
        const sealed = Buffer.from(kr.encrypt('x', ctx(`c${i}`)));
        nonces.add(sealed.subarray(5, 17).toString('hex'));
      }
      if (i % 100 === 0) await sleep(1);
    }
    expect(nonces.size).toBe(2 * n);
    await Promise.all(open.splice(0).map((kr) => kr.close()));
    const { rows } = await db.pool.query<{ used: string }>(
      'SELECT sum(nonce_next)::text AS used FROM data_keys',
    );
    expect(Number(rows[0]?.used)).toBeGreaterThanOrEqual(2 * n);
  });

  it('starts a new data key before the use limit, and the old one still decrypts', async () => {
    const keyring = await openKeyring({ maxUses: 64n, leaseMs: 1000 });
    const first = keyring.currentKid;
    const early = keyring.encrypt('early', ctx('c1'));
    const kids = new Set<string>();
    const deadline = Date.now() + 20_000;
    let i = 0;
    while (kids.size < 3 && Date.now() < deadline) {
      await keyring.reserve(1);
      kids.add(keyring.currentKid);
      keyring.encrypt(`v${i++}`, ctx('c1'));
      await sleep(5);
    }
    expect(kids.size).toBeGreaterThanOrEqual(3);
    expect(keyring.currentKid).not.toBe(first);
    const { rows } = await db.pool.query<{ id: number; nonce_next: string; nonce_limit: string }>(
      'SELECT id, nonce_next::text, nonce_limit::text FROM data_keys ORDER BY id',
    );
    for (const r of rows) expect(Number(r.nonce_next)).toBeLessThanOrEqual(64);
    expect(keyring.decrypt(early, first, ctx('c1'))).toBe('early');
  });

  it('reads what the pre-envelope scheme wrote, and rotation moves it under a data key', async () => {
    // Written exactly as the previous release does: v1 under TOKEN_ENCRYPTION_KEYS directly.
    const legacy = new Keyring([envKey]);
    await db.prisma.provider.create({
      data: {
        key: 'acme',
        displayName: 'Acme',
        clientId: 'c',
        clientAuthMethod: 'client_secret_basic',
        keyId: legacy.currentKid,
        clientSecret: legacy.encrypt('client-secret', {
          table: 'providers',
          id: 'acme',
          field: 'client_secret',
        }),
      },
    });
    for (let i = 0; i < 12; i++) {
      const id = `conn_${i}`;
      await db.prisma.connection.create({ data: { id, providerKey: 'acme', subject: `u${i}` } });
      await db.prisma.tokenSet.create({
        data: {
          connectionId: id,
          keyId: legacy.currentKid,
          accessToken: legacy.encrypt(`at-${i}`, ctx(id)),
          refreshToken: legacy.encrypt(`rt-${i}`, ctx(id, 'refresh_token')),
        },
      });
    }
    const keyring = await openKeyring();
    const before = await db.prisma.tokenSet.findFirstOrThrow({ where: { connectionId: 'conn_3' } });
    expect(keyring.decrypt(before.accessToken, before.keyId, ctx('conn_3'))).toBe('at-3');

    const report = await rotateEncryptionKeys(db.pool, keyring, { batchSize: 5, leaseMs: 10_000 });
    expect(report.rotated.token_sets).toBe(12);
    expect(report.remaining.token_sets).toBe(0);
    const after = await db.prisma.tokenSet.findMany({ orderBy: { connectionId: 'asc' } });
    for (const r of after) {
      expect(dekIdOf(r.keyId)).toBeDefined();
      const i = r.connectionId.slice('conn_'.length);
      expect(keyring.decrypt(r.accessToken, r.keyId, ctx(r.connectionId))).toBe(`at-${i}`);
      expect(keyring.decrypt(r.refreshToken!, r.keyId, ctx(r.connectionId, 'refresh_token'))).toBe(
        `rt-${i}`,
      );
    }
    const provider = await db.prisma.provider.findUniqueOrThrow({ where: { key: 'acme' } });
    expect(dekIdOf(provider.keyId!)).toBeDefined();
  });

  it('fails to open with one clear line when the KEK does not unwrap the data keys', async () => {
    await openKeyring();
    const wrong = k('k1');
    await expect(
      Keyring.open([wrong], {
        ...options(),
        keks: { current: envKek([wrong]), byKind: new Map([['env', envKek([wrong])]]) },
      }),
    ).rejects.toThrow(/^data key d1: KEK "k1" does not unwrap the data key/);
  });
});

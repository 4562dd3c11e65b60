import { randomBytes } from 'node:crypto';
import { envKek } from '../../src/vault/kek.js';
import { Keyring, dekIdOf, type EnvelopeOptions } from '../../src/vault/keyring.js';
import { rotateEncryptionKeys, type RotationProgress } from '../../src/vault/rotate.js';
import type { EncryptionKey } from '../../src/config/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const k = (kid: string) => ({ kid, key: randomBytes(32) });
const ctx = (id: string, field: string) => ({ table: 'token_sets', id, field });
const LEASE_MS = 1500;

describe('key rotation against Postgres', () => {
  let db: TestDatabase;
  const open: Keyring[] = [];
  const envelope = (keys: EncryptionKey[]): EnvelopeOptions => ({
    pool: db.pool,
    keks: { current: envKek(keys), byKind: new Map([['env', envKek(keys)]]) },
    maxUses: 1n << 28n,
    leaseMs: LEASE_MS,
  });
  const openKeyring = async (keys: EncryptionKey[]) => {
    const keyring = await Keyring.open(keys, envelope(keys));
    open.push(keyring);
    return keyring;
  };

  async function seed(keyring: Keyring, n: number) {
    await db.prisma.provider.create({
      data: {
        key: 'acme',
        displayName: 'Acme',
        clientId: 'c',
        clientAuthMethod: 'client_secret_basic',
      },
    });
    for (let i = 0; i < n; i++) {
      const id = `conn_${String(i).padStart(3, '0')}`;
      await db.prisma.connection.create({ data: { id, providerKey: 'acme', subject: `u${i}` } });
      await db.prisma.tokenSet.create({
        data: {
          connectionId: id,
          keyId: keyring.currentKid,
          accessToken: keyring.encrypt(`at-${i}`, ctx(id, 'access_token')),
          refreshToken: keyring.encrypt(`rt-${i}`, ctx(id, 'refresh_token')),
        },
      });
    }
  }

  async function expectAllReadable(keyring: Keyring, n: number) {
    const rows = await db.prisma.tokenSet.findMany({ orderBy: { connectionId: 'asc' } });
    expect(rows).toHaveLength(n);
    for (const r of rows) {
      const i = Number(r.connectionId.slice('conn_'.length));
      expect(
        await keyring.decryptLoading(r.accessToken, r.keyId, ctx(r.connectionId, 'access_token')),
      ).toBe(`at-${i}`);
      expect(
        await keyring.decryptLoading(
          r.refreshToken!,
          r.keyId,
          ctx(r.connectionId, 'refresh_token'),
        ),
      ).toBe(`rt-${i}`);
    }
    return rows;
  }

  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((kr) => kr.close()));
    await db.drop();
  });

  it('a new KEK first in TOKEN_ENCRYPTION_KEYS: data keys re-wrapped, old rows moved, old key removable', async () => {
    const oldKey = k('old');
    const newKey = k('new');
    await seed(new Keyring([oldKey]), 25);
    await Keyring.open([oldKey], envelope([oldKey])).then((kr) => open.push(kr));

    const both = await openKeyring([newKey, oldKey]);
    const seen: RotationProgress[] = [];
    const report = await rotateEncryptionKeys(db.pool, both, {
      batchSize: 7,
      leaseMs: LEASE_MS,
      onProgress: (p) => seen.push(p),
    });
    expect(report.rewrapped).toBe(1);
    expect(report.rotated.token_sets).toBe(25);
    expect(report.remaining.token_sets).toBe(0);
    expect(seen).toContainEqual({ phase: 'reencrypt', table: 'token_sets', done: 25, total: 25 });
    const { rows } = await db.pool.query<{ kek_id: string }>('SELECT kek_id FROM data_keys');
    expect(rows.map((r) => r.kek_id)).toEqual(['new']);

    await Promise.all(open.splice(0).map((kr) => kr.close()));
    const onlyNew = await openKeyring([newKey]);
    const after = await expectAllReadable(onlyNew, 25);
    expect(new Set(after.map((r) => dekIdOf(r.keyId)))).toEqual(new Set([1]));

    const again = await rotateEncryptionKeys(db.pool, onlyNew, { leaseMs: LEASE_MS });
    expect(again).toMatchObject({ rewrapped: 0, rotated: { token_sets: 0 } });
  }, 60_000);

  it('--new-dek moves every row while a replica reads and writes, then destroys the old data key', async () => {
    const key = k('k1');
    const replica = await openKeyring([key]);
    await seed(replica, 60);
    const old = await db.prisma.tokenSet.findUniqueOrThrow({ where: { connectionId: 'conn_007' } });
    expect(old.keyId).toBe('d1:2');

    const cli = await openKeyring([key]);
    let stop = false;
    let reads = 0;
    const errors: unknown[] = [];
    // A serving replica: reads every row again and again, and rewrites some of them.
    const serving = (async () => {
      while (!stop) {
        const rows = await db.prisma.tokenSet.findMany();
        for (const r of rows) {
          try {
            replica.decrypt(r.accessToken, r.keyId, ctx(r.connectionId, 'access_token'));
            reads += 1;
          } catch (error) {
            errors.push(error);
          }
        }
        const i = Math.floor(Math.random() * 60);
        const id = `conn_${String(i).padStart(3, '0')}`;
        await db.pool.query(
          'UPDATE token_sets SET key_id = $2, access_token = $3, refresh_token = $4 WHERE connection_id = $1',
          [
            id,
            replica.currentKid,
            replica.encrypt(`at-${i}`, ctx(id, 'access_token')),
            replica.encrypt(`rt-${i}`, ctx(id, 'refresh_token')),
          ],
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const report = await rotateEncryptionKeys(db.pool, cli, {
      newDek: true,
      batchSize: 7,
      leaseMs: LEASE_MS,
    });
    stop = true;
    await serving;

    expect(errors).toEqual([]);
    expect(reads).toBeGreaterThan(60);
    expect(report.target).toBe('d2:2');
    expect(report.retired).toEqual(['d1:2']);
    expect(report.remaining.token_sets).toBe(0);
    const rows = await expectAllReadable(cli, 60);
    expect(new Set(rows.map((r) => r.keyId))).toEqual(new Set(['d2:2']));

    // A ciphertext from before the rotation, written back into its own row, is refused.
    await db.pool.query(
      'UPDATE token_sets SET key_id = $2, access_token = $3 WHERE connection_id = $1',
      ['conn_007', old.keyId, old.accessToken],
    );
    const replayed = await db.prisma.tokenSet.findUniqueOrThrow({
      where: { connectionId: 'conn_007' },
    });
    await replica.refresh();
    expect(() =>
      replica.decrypt(replayed.accessToken, replayed.keyId, ctx('conn_007', 'access_token')),
    ).toThrow('is under retired data key d1');
    const { rows: keys } = await db.pool.query<{ id: number; wrapped: Buffer | null }>(
      'SELECT id, wrapped FROM data_keys ORDER BY id',
    );
    expect(keys[0]).toEqual({ id: 1, wrapped: null });
  }, 90_000);
});

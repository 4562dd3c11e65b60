import { randomBytes } from 'node:crypto';
import { Keyring } from '../../src/vault/keyring.js';
import { rotateEncryptionKeys } from '../../src/vault/rotate.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const k = (kid: string) => ({ kid, key: randomBytes(32) });

describe('key rotation, end to end', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

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
      const id = `conn_${i}`;
      await db.prisma.connection.create({
        data: { id, providerKey: 'acme', subject: `user-${i}` },
      });
      const enc = (field: string) =>
        keyring.encrypt(`${field}-${i}`, { table: 'token_sets', id, field });
      await db.prisma.tokenSet.create({
        data: {
          connectionId: id,
          keyId: keyring.currentKid,
          accessToken: enc('access_token'),
          refreshToken: enc('refresh_token'),
        },
      });
    }
  }

  it('re-encrypts rows under the new key, after which the old key can be removed', async () => {
    const oldKey = k('old');
    const newKey = k('new');
    await seed(new Keyring([oldKey]), 25);

    const both = new Keyring([newKey, oldKey]);
    const rows = await db.prisma.tokenSet.findMany();
    for (const r of rows) {
      expect(
        both.decrypt(r.accessToken, r.keyId, {
          table: 'token_sets',
          id: r.connectionId,
          field: 'access_token',
        }),
      ).toMatch(/^access_token-/);
    }

    // Small batches exercise the resumable loop.
    const report = await rotateEncryptionKeys(db.pool, both, { batchSize: 7 });
    expect(report.rotated.token_sets).toBe(25);
    expect(report.remaining.token_sets).toBe(0);

    const onlyNew = new Keyring([newKey]);
    const after = await db.prisma.tokenSet.findMany({ orderBy: { connectionId: 'asc' } });
    expect(new Set(after.map((r) => r.keyId))).toEqual(new Set(['new']));
    for (const r of after) {
      const i = r.connectionId.slice('conn_'.length);
      const ctx = { table: 'token_sets', id: r.connectionId };
      expect(onlyNew.decrypt(r.accessToken, r.keyId, { ...ctx, field: 'access_token' })).toBe(
        `access_token-${i}`,
      );
      expect(onlyNew.decrypt(r.refreshToken!, r.keyId, { ...ctx, field: 'refresh_token' })).toBe(
        `refresh_token-${i}`,
      );
    }

    // A second run has nothing left to do.
    const again = await rotateEncryptionKeys(db.pool, onlyNew);
    expect(again.rotated.token_sets).toBe(0);
  });
});

import { spawn } from 'node:child_process';
import { envKek } from '../../src/vault/kek.js';
import { Keyring } from '../../src/vault/keyring.js';
import { loadConfig, type EncryptionKey } from '../../src/config/index.js';
import { testEncryptionKey } from '../support/broker.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const ROWS = 300;
const BATCH = 10;
const ctx = (id: string, field: string) => ({ table: 'token_sets', id, field });

interface Progress {
  event: 'progress';
  phase: string;
  done?: number;
}

/**
 * Runs `token-broker --json keys rotate --new-dek` and sends it SIGKILL at the first progress
 * event `killAt` accepts; resolves with the events seen and how the process ended.
 */
function rotateUntilKilled(env: Record<string, string>, killAt: (p: Progress) => boolean) {
  return new Promise<{ seen: Progress[]; other: string[]; signal: NodeJS.Signals | null }>(
    (resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/cli/main.ts',
          '--json',
          'keys',
          'rotate',
          '--new-dek',
          '--batch-size',
          String(BATCH),
        ],
        { env: { ...process.env, ...env } },
      );
      const seen: Progress[] = [];
      const other: string[] = [];
      let buffered = '';
      child.stderr.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          // A fresh clone's first CLI run says where it put its development secrets.
          if (line.includes('generated development secrets')) continue;
          if (!line.startsWith('{')) {
            other.push(line);
            continue;
          }
          const p = JSON.parse(line) as Progress;
          seen.push(p);
          if (killAt(p)) child.kill('SIGKILL');
        }
      });
      child.on('exit', (_code, signal) => resolve({ seen, other, signal }));
    },
  );
}

/**
 * `keys rotate --new-dek` killed with SIGKILL twice — right after it made the new data key,
 * then halfway through re-encrypting — and run again: it resumes the same target, finishes,
 * and every connection reads back what was stored, at every step.
 */
describe('keys rotate killed with kill -9', () => {
  let db: TestDatabase;
  let replica: Keyring;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    const keys = testEncryptionKey();
    env = { DATABASE_URL: db.url, TOKEN_ENCRYPTION_KEYS: keys, TOKEN_KEY_LEASE_SECONDS: '2' };
    const parsed = loadConfig({ NODE_ENV: 'test', TOKEN_ENCRYPTION_KEYS: keys })
      .encryptionKeys as EncryptionKey[];
    // A serving replica's keyring: it writes the rows and reads them back throughout.
    replica = await Keyring.open(parsed, {
      pool: db.pool,
      keks: { current: envKek(parsed), byKind: new Map([['env', envKek(parsed)]]) },
      maxUses: 1n << 28n,
      leaseMs: 2000,
    });
    await db.prisma.provider.create({
      data: {
        key: 'acme',
        displayName: 'Acme',
        clientId: 'c',
        clientAuthMethod: 'client_secret_basic',
      },
    });
    const ids = Array.from({ length: ROWS }, (_, i) => `conn_${String(i).padStart(4, '0')}`);
    await db.prisma.connection.createMany({
      data: ids.map((id, i) => ({ id, providerKey: 'acme', subject: `u${i}` })),
    });
    // A fresh nonce block for the seeding (the machine may be slow: the lease is short).
    await replica.reserve(2 * ROWS);
    await db.prisma.tokenSet.createMany({
      data: ids.map((id) => ({
        connectionId: id,
        keyId: replica.currentKid,
        accessToken: replica.encrypt(`at-${id}`, ctx(id, 'access_token')),
        refreshToken: replica.encrypt(`rt-${id}`, ctx(id, 'refresh_token')),
      })),
    });
  }, 60_000);
  afterAll(async () => {
    await replica.close();
    await db.drop();
  });

  /** Every row decrypts to what was stored; the rows per key id. */
  async function everyRowReadable() {
    const rows = await db.prisma.tokenSet.findMany();
    expect(rows).toHaveLength(ROWS);
    const byKey: Record<string, number> = {};
    for (const r of rows) {
      const id = r.connectionId;
      expect(await replica.decryptLoading(r.accessToken, r.keyId, ctx(id, 'access_token'))).toBe(
        `at-${id}`,
      );
      expect(await replica.decryptLoading(r.refreshToken!, r.keyId, ctx(id, 'refresh_token'))).toBe(
        `rt-${id}`,
      );
      byKey[r.keyId] = (byKey[r.keyId] ?? 0) + 1;
    }
    return byKey;
  }
  const rotationKeys = async () =>
    (
      await db.pool.query<{ id: number }>(
        `SELECT id FROM data_keys WHERE origin = 'rotate' ORDER BY id`,
      )
    ).rows.map((r) => r.id);

  it('resumes the same target after each kill and finishes with nothing lost', async () => {
    const first = await rotateUntilKilled(env, (p) => p.phase === 'wait');
    expect([first.other, first.signal]).toStrictEqual([[], 'SIGKILL']);
    const [target] = await rotationKeys();
    expect(target).toBeDefined();
    expect(await everyRowReadable()).toStrictEqual({ 'd1:2': ROWS });

    const second = await rotateUntilKilled(
      env,
      (p) => p.phase === 'reencrypt' && (p.done ?? 0) >= ROWS / 5,
    );
    expect([second.other, second.signal]).toStrictEqual([[], 'SIGKILL']);
    // Killed halfway: some rows moved, others not yet, all readable; no second new key.
    const half = await everyRowReadable();
    expect(half[`d${target}:2`]).toBeGreaterThanOrEqual(ROWS / 5);
    expect(half['d1:2']).toBeGreaterThan(0);
    expect(await rotationKeys()).toStrictEqual([target]);

    const last = await runCli(env, '--json', 'keys', 'rotate', '--new-dek');
    expect(last.code).toBe(0);
    const report = JSON.parse(last.stdout) as {
      target: string;
      rotated: Record<string, number>;
      remaining: Record<string, number>;
      retired: string[];
    };
    expect(report.target).toBe(`d${target}:2`);
    expect(report.retired).toStrictEqual(['d1:2']);
    expect(report.rotated.token_sets).toBe(half['d1:2']);
    expect(Object.values(report.remaining).every((n) => n === 0)).toBe(true);
    expect(await rotationKeys()).toStrictEqual([target]);
    expect(await everyRowReadable()).toStrictEqual({ [`d${target}:2`]: ROWS });
  }, 180_000);
});

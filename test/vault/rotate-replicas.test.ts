import request from 'supertest';
import { openTokenSet, sealTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker, type ChildBroker } from '../support/child-broker.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService } from '../tokens/support.js';

const CONNECTIONS = 60;
const WORKERS = 6;
// Long enough for a replica stalled by a loaded 2-core machine; a rotation waits 2 leases.
const LEASE_SECONDS = 8;

/**
 * `keys rotate --new-dek` while three replicas (processes of their own) serve token reads and
 * forced refreshes against a real provider: no request fails, every refresh is kept, and
 * everything ends under the new data key with the old one destroyed.
 */
describe('rotation under load on three replicas', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let admin: TestBroker;
  let replicas: ChildBroker[];
  let env: Record<string, string>;
  let apiKey: string;
  let ids: string[];

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: 3600,
      rotateRefreshTokens: true,
      unboundedStore: true,
    });
    db = await createTestDatabase();
    const shared = {
      TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
      TOKEN_KEY_LEASE_SECONDS: String(LEASE_SECONDS),
      FORCED_REFRESH_INTERVAL_SECONDS: '0',
      RATE_LIMIT_TOKEN_PER_MINUTE: '0',
    };
    // In process, without jobs: seeds the connections and checks the stored rows at the end.
    admin = await startTestBroker({ db, env: shared, jobs: () => [] });
    env = { ...shared, DATABASE_URL: db.url, ADMIN_API_TOKEN: admin.adminToken };
    replicas = await Promise.all(
      [1, 2, 3].map(() => startChildBroker({ ...env, LOG_LEVEL: 'info' }, { timeoutMs: 90_000 })),
    );
    const provider = await buildProvider(db.prisma, admin.container.keyring, upstream);
    apiKey = (await createService(admin, [provider.key])).api_key;
    const grants = await Promise.all(
      Array.from({ length: CONNECTIONS }, (_, i) => upstream.issueTokens('broker', `user-${i}`)),
    );
    // A fresh nonce block right before sealing: a loaded machine stalls this process.
    await admin.container.keyring.reserve(2 * CONNECTIONS);
    ids = grants.map((_, i) => `conn_rot${String(i).padStart(3, '0')}`);
    await db.prisma.connection.createMany({
      data: ids.map((id) => ({
        id,
        providerKey: provider.key,
        subject: id,
        scopes: ['openid', 'offline_access', 'api'],
        expiresAt: new Date(Date.now() + 3600_000),
      })),
    });
    await db.prisma.tokenSet.createMany({
      data: grants.map((g, i) => ({
        connectionId: ids[i] as string,
        ...sealTokenSet(admin.container.keyring, ids[i] as string, {
          accessToken: g.access_token,
          refreshToken: g.refresh_token,
          idToken: undefined,
          tokenType: 'Bearer',
          expiresAt: new Date(Date.now() + 3600_000),
        }),
      })),
    });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await admin.close();
    await db.drop();
    await upstream.close();
  });

  it('no read or refresh fails and nothing is lost', async () => {
    const failures: string[] = [];
    /** The access token each connection's last refresh returned. */
    const latest = new Map<string, string>();
    let reads = 0;
    let refreshes = 0;
    let stop = false;
    let turn = 0;
    const replica = () => (replicas[turn++ % replicas.length] as ChildBroker).url;
    // Each worker owns its connections, so their refreshes are in order and `latest` is exact.
    const worker = async (w: number) => {
      const own = ids.filter((_, i) => i % WORKERS === w);
      for (let n = 0; !stop; n++) {
        const id = own[n % own.length] as string;
        const refresh = n % 5 === 4;
        const res = refresh
          ? await request(replica()).post(`/v1/connections/${id}/refresh`).set(bearer(apiKey))
          : await request(replica()).get(`/v1/connections/${id}/token`).set(bearer(apiKey));
        if (res.status !== 200) {
          failures.push(`${refresh ? 'refresh' : 'read'} ${res.status} ${res.text}`);
        } else if (refresh) {
          refreshes += 1;
          latest.set(id, res.body.access_token as string);
        } else {
          reads += 1;
        }
      }
    };
    const load = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    const started = Date.now();
    const rotation = await runCli(
      env,
      '--json',
      'keys',
      'rotate',
      '--new-dek',
      '--batch-size',
      '10',
    );
    const seconds = (Date.now() - started) / 1000;
    stop = true;
    await load;

    expect(rotation.code).toBe(0);
    const report = JSON.parse(rotation.stdout) as {
      target: string;
      retired: string[];
      remaining: Record<string, number>;
    };
    expect(report.retired).toStrictEqual(['d1:2']);
    expect(Object.values(report.remaining).every((n) => n === 0)).toBe(true);
    expect(failures).toStrictEqual([]);
    process.stdout.write(
      `rotation on 3 replicas: ${seconds.toFixed(1)} s, ${reads} reads and ${refreshes} refreshes, 0 failed\n`,
    );
    expect(reads).toBeGreaterThan(CONNECTIONS);
    expect(refreshes).toBeGreaterThan(CONNECTIONS / 2);

    // Every row is under the new key and holds the last refresh's access token.
    const keyring = admin.container.keyring;
    await keyring.refresh();
    const rows = await db.prisma.tokenSet.findMany();
    expect(rows).toHaveLength(CONNECTIONS);
    expect(new Set(rows.map((r) => r.keyId))).toStrictEqual(new Set([report.target]));
    for (const r of rows) {
      const tokens = openTokenSet(keyring, r.connectionId, r);
      const expected = latest.get(r.connectionId);
      if (expected) expect(tokens.accessToken).toBe(expected);
      expect(tokens.refreshToken).toBeDefined();
    }
    // The stored refresh tokens are the provider's current ones: one more refresh each works.
    for (const id of ids.slice(0, 10)) {
      await request(replicas[0]!.url)
        .post(`/v1/connections/${id}/refresh`)
        .set(bearer(apiKey))
        .expect(200);
    }
  }, 240_000);
});

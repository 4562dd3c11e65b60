import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRefreshJob } from '../../src/refresh/job.js';
import { nextRefreshAt } from '../../src/refresh/schedule.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, buildProviderAt } from '../tokens/support.js';
import { seedConnections, startHoldingProxy } from './support.js';

const CONNECTIONS = 200;
/** Upstream access tokens live 10 s; the refresher renews them 5 s (+ jitter) before expiry. */
const ACCESS_TOKEN_TTL = 10;
const WINDOW_SECONDS = 5;
const STEADY_MS = 20_000;
const LEASE_MS = 5_000;
const CRON = '*/1 * * * * *';

async function startChild(env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/refresh/child-broker.ts'],
    {
      env: { ...process.env, ...env, REFRESH_TEST_LEASE_MS: String(LEASE_MS) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const output: string[] = [];
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('child broker did not start')), 30_000);
    child.once('exit', (code) => fail(new Error(`child broker exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (line === 'ready') {
        clearTimeout(timer);
        ok();
      }
    });
  });
  return { child, output };
}

describe('three replicas refreshing 200 connections whose access tokens live 10 s', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  let replicas: TestBroker[];
  let child: Awaited<ReturnType<typeof startChild>>;
  let providerKey: string;
  let ids: string[];
  let seededAt: number;
  let t0: number;

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: ACCESS_TOKEN_TTL,
      rotateRefreshTokens: true,
    });
    proxy = await startHoldingProxy(`${upstream.issuer}/token`);
    db = await createTestDatabase();
    const env = {
      TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
      PUBLIC_URL: 'http://broker.test',
      REFRESH_WINDOW_SECONDS: String(WINDOW_SECONDS),
      REFRESH_CRON: CRON,
      REFRESH_CONCURRENCY: '16',
      REFRESH_PROVIDER_CONCURRENCY: '8',
    };
    const jobs = (c: TestBroker['container']) => [createRefreshJob(c, { leaseMs: LEASE_MS })];
    replicas = [await startTestBroker({ db, env, jobs }), await startTestBroker({ db, env, jobs })];
    const a = replicas[0]!;
    child = await startChild({
      ...env,
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: db.url,
      ADMIN_API_TOKEN: a.adminToken,
    });
    // Refresh grants go through a proxy the kill test can hold (see there).
    t0 = Date.now();
    providerKey = (await buildProviderAt(a, upstream, proxy.url)).key;
    const schedule = { windowSeconds: WINDOW_SECONDS, keepAliveDays: 7 };
    ids = await seedConnections(
      db.prisma,
      a.container.keyring,
      upstream,
      providerKey,
      CONNECTIONS,
      (expiresAt) => ({
        expiresAt,
        nextRefreshAt: nextRefreshAt(schedule, {
          expiresAt,
          hasRefreshToken: true,
          now: new Date(),
        }),
      }),
    );
    seededAt = Date.now();
  }, 90_000);
  afterAll(async () => {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill('SIGTERM');
      await once(child.child, 'exit');
    }
    for (const r of replicas) await r.close();
    await db.drop();
    await proxy.close();
    await upstream.close();
  });

  /** Connections without a valid access token right now (should never be any). */
  const expiredNow = async () => {
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM connections c JOIN token_sets t ON t.connection_id = c.id
        WHERE c.provider_key = $1 AND (c.status <> 'active' OR t.expires_at <= now())`,
      [providerKey],
    );
    return Number(rows[0]!.n);
  };
  const versions = async () => {
    const rows = await db.prisma.tokenSet.findMany({
      where: { connectionId: { in: ids } },
      select: { connectionId: true, version: true },
    });
    return new Map(rows.map((r) => [r.connectionId, r.version]));
  };
  const refreshesStored = async () =>
    [...(await versions()).values()].reduce((sum, v) => sum + v - 1, 0);

  /** Holds new grants at the proxy and waits until every grant the provider served is stored. */
  async function quiesce() {
    proxy.hold();
    const deadline = Date.now() + 10_000;
    while ((await refreshesStored()) !== upstream.refreshGrants() && Date.now() < deadline) {
      await sleep(100);
    }
  }

  it('keeps every connection valid with exactly one refresh grant per connection per cycle', async () => {
    const checks: number[] = [];
    while (Date.now() - seededAt < STEADY_MS) {
      checks.push(await expiredNow());
      await sleep(1_000);
    }
    await quiesce();
    const elapsed = (Date.now() - seededAt) / 1000;

    (await import('node:fs')).writeFileSync(
      '/tmp/refresh-debug.json',
      JSON.stringify(
        {
          seed: seededAt - t0,
          checks,
          errors: upstream.grantErrors,
          grants: upstream.grants.length,
          a: replicas[0]!.logs.lines,
          b: replicas[1]!.logs.lines,
          child: child.output,
        },
        null,
        1,
      ),
    );
    expect(checks.length).toBeGreaterThan(20);
    expect(Math.max(...checks)).toBe(0);
    expect(upstream.grantErrors).toEqual([]);
    // Every grant the provider served was stored: none wasted, none lost.
    expect(await refreshesStored()).toBe(upstream.refreshGrants());
    // A cycle lasts between TTL − window − jitter (4.5 s) and that plus a sweep interval
    // and the sweep's own time; twice per cycle would show as twice these counts.
    const counts = [...(await versions()).values()].map((v) => v - 1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(elapsed / 4.5) + 1);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(Math.floor(elapsed / 8) - 1);
  }, 120_000);

  it('kill -9 of a replica in the middle of a sweep: the others refresh its claims after the lease, none is lost', async () => {
    // Still holding: every refresh now waits at the proxy, before reaching the provider.
    const grantsBefore = upstream.refreshGrants();
    const before = await versions();
    await db.pool.query('UPDATE connections SET next_refresh_at = now() WHERE provider_key = $1', [
      providerKey,
    ]);
    const pid = child.child.pid!;
    const claimedByChild = async () =>
      (
        await db.pool.query<{ id: string }>(
          `SELECT id FROM connections WHERE lease_owner LIKE $1`,
          [`%:${pid}:%`],
        )
      ).rows.map((r) => r.id);
    let claims: string[] = [];
    const deadline = Date.now() + 15_000;
    // All replicas busy (8 refreshes each in flight at the provider's door), the child holding claims.
    while ((proxy.heldCount < 24 || claims.length === 0) && Date.now() < deadline) {
      await sleep(50);
      claims = await claimedByChild();
    }
    expect(claims.length).toBeGreaterThan(0);

    child.child.kill('SIGKILL');
    await once(child.child, 'exit');
    claims = await claimedByChild();
    const killedAt = Date.now();
    await sleep(300);
    proxy.release(); // the dead replica's held requests are dropped, the others go through

    expect(proxy.dropped).toBeGreaterThan(0);
    const refreshedAll = async () => {
      const now = await versions();
      return ids.every((id) => now.get(id)! > before.get(id)!);
    };
    while (!(await refreshedAll()) && Date.now() - killedAt < 40_000) await sleep(250);

    expect(await refreshedAll()).toBe(true);
    const rows = await db.prisma.connection.findMany({ where: { id: { in: claims } } });
    for (const r of rows) {
      expect(r.status).toBe('active');
      expect(r.leaseOwner ?? '').not.toContain(`:${pid}:`);
    }
    expect(upstream.refreshGrants() - grantsBefore).toBeGreaterThanOrEqual(CONNECTIONS);
    expect(upstream.grantErrors).toEqual([]);
    expect(await expiredNow()).toBe(0);

    // None lost: every stored refresh token is still the live one at the provider.
    const [a] = replicas as [TestBroker];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ids.length; i += 20) {
      const batch = await Promise.all(
        ids
          .slice(i, i + 20)
          .map((id) => a.container.tokens.refresh(id, { minTtlSeconds: 0, force: true })),
      );
      for (const o of batch) outcomes.set(o.kind, (outcomes.get(o.kind) ?? 0) + 1);
    }
    expect([...outcomes.keys()].every((k) => k === 'refreshed' || k === 'current')).toBe(true);
    expect(upstream.grantErrors).toEqual([]);
    expect(await db.prisma.connection.count({ where: { status: { not: 'active' } } })).toBe(0);
  }, 120_000);
});

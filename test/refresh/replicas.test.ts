import { setTimeout as sleep } from 'node:timers/promises';
import { nextRefreshAt } from '../../src/refresh/schedule.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker, type ChildBroker } from '../support/child-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, buildProviderAt } from '../tokens/support.js';
import { seedConnections, startHoldingProxy } from './support.js';

const CONNECTIONS = 200;
const WARM_UP_CONNECTIONS = 30;
/**
 * Upstream access tokens live 20 s; the refresher renews them 8 s (+ jitter) before expiry:
 * about 17 refreshes a second, which a loaded 2-core machine sustains.
 */
const ACCESS_TOKEN_TTL = 20;
const WINDOW_SECONDS = 8;
const STEADY_MS = 45_000;
const LEASE_MS = 5_000;
const REPLICA_CONCURRENCY = 8;

/** A broker replica in a process of its own running the refresher (child-broker.ts). */
const startReplica = (env: Record<string, string>) =>
  startChildBroker(
    { ...env, REFRESH_TEST_LEASE_MS: String(LEASE_MS) },
    { script: 'test/refresh/child-broker.ts', timeoutMs: 45_000 },
  );

describe('three replicas refreshing 200 connections whose access tokens live 20 s', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  /** An in-process broker without jobs: seeds, and checks at the end that nothing was lost. */
  let admin: TestBroker;
  let replicas: ChildBroker[];
  let providerKey: string;
  let ids: string[];
  let warmUp: string[];
  let seededAt: number;

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: ACCESS_TOKEN_TTL,
      rotateRefreshTokens: true,
      unboundedStore: true,
    });
    proxy = await startHoldingProxy(`${upstream.issuer}/token`);
    db = await createTestDatabase();
    const env = {
      TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
      PUBLIC_URL: 'http://broker.test',
      REFRESH_WINDOW_SECONDS: String(WINDOW_SECONDS),
    };
    admin = await startTestBroker({ db, env });
    const replicaEnv = {
      ...env,
      NODE_ENV: 'test',
      PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      ADMIN_API_TOKEN: admin.adminToken,
      REFRESH_CRON: '*/1 * * * * *',
      REFRESH_CONCURRENCY: String(REPLICA_CONCURRENCY),
      REFRESH_PROVIDER_CONCURRENCY: String(REPLICA_CONCURRENCY),
    };
    replicas = await Promise.all([1, 2, 3].map(() => startReplica(replicaEnv)));
    // Refresh grants go through a proxy that can hold them (see the kill test).
    providerKey = (await buildProviderAt(admin, upstream, proxy.url)).key;
    // Cold replicas on a busy machine are slow for their first few seconds (JIT, query
    // plans): warm them up on connections of their own, kept refreshing throughout.
    warmUp = await seedConnections(
      db.prisma,
      admin.container.keyring,
      upstream,
      providerKey,
      WARM_UP_CONNECTIONS,
      (expiresAt) => ({ expiresAt, nextRefreshAt: new Date() }),
    );
    const warm = Date.now() + 60_000;
    while ([...(await versions(warmUp)).values()].some((v) => v < 2) && Date.now() < warm) {
      await sleep(200);
    }
    const schedule = { windowSeconds: WINDOW_SECONDS, keepAliveDays: 7 };
    ids = await seedConnections(
      db.prisma,
      admin.container.keyring,
      upstream,
      providerKey,
      CONNECTIONS,
      // As if connected over the last few seconds: stored expiries (never later than the
      // provider's) spread over most of the token lifetime.
      (upstreamExpiresAt) => {
        const expiresAt = new Date(upstreamExpiresAt.getTime() - Math.random() * 12_000);
        const now = new Date();
        return {
          expiresAt,
          nextRefreshAt: nextRefreshAt(schedule, { expiresAt, hasRefreshToken: true, now }),
        };
      },
    );
    seededAt = Date.now();
  }, 120_000);
  afterAll(async () => {
    proxy.release();
    await Promise.all(replicas.map((r) => r.stop()));
    await admin.close();
    await db.drop();
    await proxy.close();
    await upstream.close();
  });

  /** Connections without a valid access token right now (there should never be any). */
  const expiredNow = async () => {
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM connections c JOIN token_sets t ON t.connection_id = c.id
        WHERE c.id = ANY($1) AND (c.status <> 'active' OR t.expires_at <= now())`,
      [ids],
    );
    return Number(rows[0]!.n);
  };
  async function versions(of: string[]) {
    const rows = await db.prisma.tokenSet.findMany({
      where: { connectionId: { in: of } },
      select: { connectionId: true, version: true },
    });
    return new Map(rows.map((r) => [r.connectionId, r.version]));
  }
  /** Refreshes stored, over every connection of the provider (warm-up ones included). */
  const refreshesStored = async () =>
    [...(await versions([...ids, ...warmUp])).values()].reduce((sum, v) => sum + v - 1, 0);

  it('keeps every connection valid with exactly one refresh grant per connection per cycle', async () => {
    const checks: number[] = [];
    while (Date.now() - seededAt < STEADY_MS) {
      checks.push(await expiredNow());
      await sleep(1_000);
    }
    // Hold new grants at the proxy; wait until every grant the provider served is stored.
    proxy.hold();
    // Released well before the replicas' provider timeout (10 s) would fail held refreshes.
    const deadline = Date.now() + 3_000;
    while ((await refreshesStored()) !== upstream.refreshGrants() && Date.now() < deadline) {
      await sleep(100);
    }
    const elapsed = (Date.now() - seededAt) / 1000;
    const [stored, served] = [await refreshesStored(), upstream.refreshGrants()];
    const counts = [...(await versions(ids)).values()].map((v) => v - 1);
    proxy.release(); // before the held refreshes time out

    expect(checks.length).toBeGreaterThan(25);
    expect(Math.max(...checks)).toBe(0);
    expect(upstream.grantErrors).toEqual([]);
    // Every grant the provider served was stored: none wasted, none lost.
    expect(stored).toBe(served);
    // A cycle lasts at least TTL − window − jitter (11.2 s) and at most the TTL; two
    // grants per cycle would show as about twice these counts.
    expect(Math.max(...counts)).toBeLessThanOrEqual(Math.ceil(elapsed / 11.2));
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(Math.floor(elapsed / ACCESS_TOKEN_TTL));
    // Every replica took part.
    for (const r of replicas) {
      const sweeps = r.output
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { msg: string; refreshed?: number })
        .filter((l) => l.msg === 'refresher sweep');
      expect(sweeps.some((l) => (l.refreshed ?? 0) > 0)).toBe(true);
    }
  }, 120_000);

  it('kill -9 of a replica in the middle of a sweep: the others refresh its claims after the lease, none is lost', async () => {
    // Every refresh now waits at the proxy, before reaching the provider.
    proxy.hold();
    // The victim may hold warm-up connections as well as the 200.
    const before = await versions([...ids, ...warmUp]);
    await db.pool.query('UPDATE connections SET next_refresh_at = now() WHERE provider_key = $1', [
      providerKey,
    ]);
    const victim = replicas[0]!;
    const claimedByVictim = async () =>
      (
        await db.pool.query<{ id: string }>(
          `SELECT id FROM connections WHERE lease_owner LIKE $1`,
          [`%:${victim.process.pid}:%`],
        )
      ).rows.map((r) => r.id);
    let claims: string[] = [];
    // Killed (and the proxy released) before the replicas' provider timeout (10 s) would
    // fail the held refreshes: the victim's claims are then provably not at the provider.
    const deadline = Date.now() + 8_000;
    while ((proxy.heldCount === 0 || claims.length === 0) && Date.now() < deadline) {
      await sleep(50);
      claims = await claimedByVictim();
    }
    expect(claims.length).toBeGreaterThan(0);

    await victim.kill9();
    claims = await claimedByVictim();
    const killedAt = Date.now();
    await sleep(300);
    proxy.release(); // the dead replica's held requests are dropped, the others go through

    const claimsRefreshed = async () => {
      const now = await versions(claims);
      return claims.every((id) => now.get(id)! > before.get(id)!);
    };
    while (!(await claimsRefreshed()) && Date.now() - killedAt < 60_000) await sleep(250);

    expect(await claimsRefreshed()).toBe(true);
    const rows = await db.prisma.connection.findMany({ where: { id: { in: claims } } });
    expect(rows).toHaveLength(claims.length);
    for (const r of rows) {
      expect(r.status).toBe('active');
      expect(r.leaseOwner ?? '').not.toContain(`:${victim.process.pid}:`);
    }
    expect(upstream.grantErrors).toEqual([]);

    // None lost: every stored refresh token is still the live one at the provider.
    await Promise.all(replicas.slice(1).map((r) => r.stop()));
    // A lost token fails for good (invalid_grant); a transient failure on this loaded
    // machine (a provider call timing out) proves nothing either way, so it is tried again.
    const refresh = async (id: string) => {
      const force = { minTtlSeconds: 0, force: true };
      let outcome = await admin.container.tokens.refresh(id, force);
      if (outcome.kind === 'failed' && !outcome.error.permanent) {
        await sleep(1_000);
        outcome = await admin.container.tokens.refresh(id, force);
      }
      return outcome.kind === 'failed' ? `failed: ${outcome.error.message}` : outcome.kind;
    };
    const outcomes: string[] = [];
    for (let i = 0; i < ids.length; i += 20) {
      outcomes.push(...(await Promise.all(ids.slice(i, i + 20).map(refresh))));
    }
    expect(outcomes).toEqual(Array(CONNECTIONS).fill('refreshed'));
    expect(upstream.grantErrors).toEqual([]);
    expect(await expiredNow()).toBe(0);
  }, 150_000);
});

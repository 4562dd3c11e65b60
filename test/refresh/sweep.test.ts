import { setTimeout as sleep } from 'node:timers/promises';
import { createRefreshJob, defaultSweepOptions } from '../../src/refresh/job.js';
import { refreshBacklog } from '../../src/refresh/metrics.js';
import { createProviderStore } from '../../src/providers/store.js';
import { exec } from '../../src/refresh/sweep.js';
import { createTokenService } from '../../src/tokens/token-service.js';
import { sealTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient } from '../tokens/support.js';
import { seedConnections } from './support.js';

const ago = (s: number) => new Date(Date.now() - s * 1000);
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);

describe('the refresher sweep', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], rotateRefreshTokens: true });
    broker = await startTestBroker();
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });
  beforeEach(async () => {
    // Each test sees only its own connections as due.
    await broker.db.prisma.connection.updateMany({ data: { nextRefreshAt: null } });
  });

  const options = (owner: string) => ({ ...defaultSweepOptions(broker.container.config, owner) });
  const seed = (n: number, expiresAt: Date | null, nextRefreshAt: Date | null) =>
    seedConnections(broker.db.prisma, broker.container.keyring, upstream, providerKey, n, () => ({
      expiresAt,
      nextRefreshAt,
    }));
  const rows = (ids: string[]) =>
    broker.db.prisma.connection.findMany({
      where: { id: { in: ids } },
      include: { tokenSet: true },
      orderBy: { id: 'asc' },
    });

  it('refreshes due connections once (keep-alive included), skips the rest, gives its claims back', async () => {
    const due = await seed(2, inSeconds(60), ago(1));
    const [keepAlive] = await seed(1, null, ago(1)); // never expires: due by keep-alive
    const [later] = await seed(1, inSeconds(3600), inSeconds(3000));
    const [revoked, reauth] = await seed(2, inSeconds(60), ago(1));
    await broker.db.prisma.connection.update({
      where: { id: revoked! },
      data: { status: 'revoked' },
    });
    await broker.db.prisma.connection.update({
      where: { id: reauth! },
      data: { status: 'reauthorization_required' },
    });
    const [leased] = await seed(1, inSeconds(60), ago(1));
    await broker.db.prisma.connection.update({
      where: { id: leased! },
      data: { leaseOwner: 'replica-elsewhere', leaseExpiresAt: inSeconds(60) },
    });
    const before = upstream.refreshGrants();

    const report = await exec(broker.container, options('replica-a'));

    expect(report).toMatchObject({ claimed: 3, refreshed: 3, failed: 0, errors: 0, backlog: 1 });
    expect(upstream.refreshGrants() - before).toBe(3);
    const refreshed = await rows([...due, keepAlive!]);
    for (const r of refreshed) {
      expect(r).toMatchObject({ leaseOwner: null, leaseExpiresAt: null, refreshFailures: 0 });
      expect(r.tokenSet?.version).toBe(2);
      expect(r.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
    }
    // Refreshed, the tokens now expire (upstream TTL 1 h): next due at expiry − window.
    for (const r of refreshed) {
      expect(r.nextRefreshAt!.getTime()).toBeLessThanOrEqual(r.expiresAt!.getTime() - 300_000);
    }
    for (const r of await rows([later!, revoked!, reauth!, leased!])) {
      expect(r.tokenSet?.version).toBe(1);
    }
    expect(await refreshBacklog.get()).toMatchObject({ values: [{ value: 1 }] });

    // A crashed replica's claim lapses; another replica then takes the connection over.
    await broker.db.prisma.connection.update({
      where: { id: leased! },
      data: { leaseExpiresAt: ago(1) },
    });
    expect(await exec(broker.container, options('replica-b'))).toMatchObject({
      claimed: 1,
      refreshed: 1,
      backlog: 0,
    });
    expect((await rows([leased!]))[0]).toMatchObject({
      leaseOwner: null,
      tokenSet: { version: 2 },
    });
    expect(upstream.grantErrors).toEqual([]);
  });

  it('two replicas sweeping at once refresh each connection exactly once', async () => {
    const ids = await seed(30, inSeconds(60), ago(1));
    const before = upstream.refreshGrants();
    const [a, b] = await Promise.all([
      exec(broker.container, { ...options('replica-a'), batchSize: 4 }),
      exec(broker.container, { ...options('replica-b'), batchSize: 4 }),
    ]);
    expect(a.refreshed + b.refreshed).toBe(30);
    expect(a.claimed + b.claimed).toBe(30);
    expect(upstream.refreshGrants() - before).toBe(30);
    expect((await rows(ids)).map((r) => r.tokenSet?.version)).toEqual(Array(30).fill(2));
  });

  it('a permanent failure needs the user at once, emits connection.reauthorization_required, and is never swept again; the run goes on', async () => {
    const [good] = await seed(1, inSeconds(60), ago(1));
    const [bad] = await seed(1, inSeconds(60), ago(1));
    // A refresh token the provider no longer knows: invalid_grant.
    await broker.db.prisma.tokenSet.update({
      where: { connectionId: bad! },
      data: sealTokenSet(broker.container.keyring, bad!, {
        accessToken: 'at-old',
        refreshToken: 'rt-unknown-to-the-provider',
        idToken: undefined,
        tokenType: 'Bearer',
        expiresAt: inSeconds(60),
      }),
    });

    const report = await exec(broker.container, options('replica-a'));

    expect(report).toMatchObject({ claimed: 2, refreshed: 1, failed: 1 });
    const [g, b] = await Promise.all([rows([good!]), rows([bad!])]);
    expect(g[0]?.tokenSet?.version).toBe(2);
    expect(b[0]).toMatchObject({
      status: 'reauthorization_required',
      lastError: 'invalid_grant',
      nextRefreshAt: null,
      leaseOwner: null,
    });
    const event = await broker.db.prisma.webhookEvent.findFirst({
      where: { type: 'connection.reauthorization_required' },
      orderBy: { createdAt: 'desc' },
    });
    expect((event?.payload as { data: unknown }).data).toMatchObject({
      connection_id: bad,
      status: 'reauthorization_required',
      error: 'invalid_grant',
    });
    const line = broker.logs.lines.find((l) => l.includes('refresh failed') && l.includes(bad!));
    expect(JSON.parse(line!)).toMatchObject({ connection_id: bad, class: 'invalid_grant' });
    expect(broker.logs.text).not.toContain('rt-unknown-to-the-provider');

    await broker.db.prisma.connection.update({
      where: { id: bad! },
      data: { nextRefreshAt: ago(1) },
    });
    expect(await exec(broker.container, options('replica-a'))).toMatchObject({ claimed: 0 });
  });

  it('regression: more refreshes in flight than pool connections deadlocked on a provider lookup inside the transaction', async () => {
    const c = broker.container;
    const tokens = createTokenService({
      ...c,
      forcedRefreshIntervalSeconds: c.config.forcedRefreshIntervalSeconds,
      providerCalls: c.db.providerCalls,
      prisma: c.db.prisma,
      pool: c.db.pool,
      providers: createProviderStore({ prisma: c.db.prisma, keyring: c.keyring, ttlMs: 0 }),
      refreshWindowSeconds: c.config.refreshWindowSeconds,
      refreshKeepAliveDays: c.config.refreshKeepAliveDays,
    });
    const ids = await seed(30, inSeconds(60), ago(1));
    const started = Date.now();
    const outcomes = await Promise.all(
      ids.map((id) => tokens.refresh(id, { minTtlSeconds: 300, scheduled: true })),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(Array(30).fill('refreshed'));
    // The transaction timeout (45 s) used to break the deadlock.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('runs on a seconds cron and stops cleanly; REFRESH_CRON=off never sweeps', async () => {
    const [off] = await seed(1, inSeconds(60), ago(1));
    const disabled = createRefreshJob(broker.container); // the test broker's REFRESH_CRON is off
    disabled.start();
    await sleep(1_500);
    await disabled.stop();
    expect((await rows([off!]))[0]?.tokenSet?.version).toBe(1);

    const job = createRefreshJob(broker.container, { cron: '*/1 * * * * *' });
    job.start();
    const deadline = Date.now() + 10_000;
    while ((await rows([off!]))[0]?.tokenSet?.version === 1 && Date.now() < deadline) {
      await sleep(200);
    }
    await job.stop();
    expect((await rows([off!]))[0]?.tokenSet?.version).toBe(2);
  });
});

import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection } from '../support/factories.js';
import { okTokens, startFakeProvider, status, type FakeHandler } from '../support/fake-provider.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, buildProviderAt, createService } from './support.js';

const SLOW_MS = 8_000;
/** A provider that answers after 8 s: a fault a real one cannot produce on demand. */
const slowly: FakeHandler = (req, body, res) => {
  setTimeout(() => okTokens()(req, body, res), SLOW_MS);
};
/** A revocation endpoint that answers 200 after 8 s. */
const slowRevocation: FakeHandler = (req, body, res) => {
  setTimeout(() => status(200, {}, {})(req, body, res), SLOW_MS);
};

describe('a slow provider stalled the replica: refreshes held pooled connections across the call (issue 19, item 4)', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let slow: Awaited<ReturnType<typeof startFakeProvider>>;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    slow = await startFakeProvider([slowly]);
    broker = await startTestBroker({
      jobs: () => [],
      env: { DATABASE_POOL_SIZE: '10', DATABASE_PROVIDER_POOL_SIZE: '4' },
    });
  });
  afterAll(async () => {
    await broker.close();
    await slow.close();
    await upstream.close();
  });

  it('20 reads of expiring connections at a provider answering after 8 s leave reads of another provider answering', async () => {
    const slowKey = (await buildProviderAt(broker, upstream, slow.metadata.token_endpoint)).key;
    const fastKey = (await buildProviderAt(broker, upstream, upstream.issuer + '/token')).key;
    const svc = await createService(broker, [slowKey, fastKey]);
    const build = (providerKey: string, expiresInMs: number) =>
      buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey,
        accessToken: `at-${Math.random()}`,
        refreshToken: 'rt',
        expiresAt: new Date(Date.now() + expiresInMs),
      });
    const expiring = await Promise.all(Array.from({ length: 20 }, () => build(slowKey, 30_000)));
    // Never read before: each read below needs the database (no cached snapshot).
    const others = await Promise.all(Array.from({ length: 5 }, () => build(fastKey, 3_600_000)));
    const read = (id: string) =>
      request(broker.url).get(`/v1/connections/${id}/token`).set(bearer(svc.api_key));

    let slowDone = 0;
    const slowReads = expiring.map((c) =>
      read(c.id).then((res) => {
        slowDone++;
        return res;
      }),
    );
    await new Promise((ok) => setTimeout(ok, 500));
    const latencies: number[] = [];
    for (const c of others) {
      const started = Date.now();
      await read(c.id).expect(200);
      latencies.push(Date.now() - started);
    }
    process.stdout.write(`slow provider: other reads answered in ${latencies.join(', ')} ms\n`);
    // Answered while every slow refresh was still waiting on the provider.
    expect(slowDone).toBe(0);
    expect(Math.max(...latencies)).toBeLessThan(SLOW_MS / 4);
    for (const res of await Promise.all(slowReads)) expect([200, 503]).toContain(res.status);
  }, 60_000);

  it('20 revocations at a provider whose revocation endpoint answers after 8 s: each is revoked locally at once, other reads keep answering', async () => {
    const slowRevoke = await startFakeProvider([slowRevocation]);
    try {
      const slowKey = (await buildProviderAt(broker, upstream, upstream.issuer + '/token')).key;
      const row = await broker.db.prisma.provider.findUniqueOrThrow({ where: { key: slowKey } });
      await broker.db.prisma.provider.update({
        where: { key: slowKey },
        data: {
          metadata: {
            ...(row.metadata as Record<string, unknown>),
            revocation_endpoint: slowRevoke.metadata.revocation_endpoint,
          },
        },
      });
      const fastKey = (await buildProviderAt(broker, upstream, upstream.issuer + '/token')).key;
      const svc = await createService(broker, [slowKey, fastKey]);
      const build = (providerKey: string) =>
        buildConnection(broker.db.prisma, broker.container.keyring, {
          providerKey,
          accessToken: `at-${Math.random()}`,
          refreshToken: `rt-${Math.random()}`,
          expiresAt: new Date(Date.now() + 3_600_000),
        });
      const doomed = await Promise.all(Array.from({ length: 20 }, () => build(slowKey)));
      const others = await Promise.all(Array.from({ length: 5 }, () => build(fastKey)));
      const read = (id: string) =>
        request(broker.url).get(`/v1/connections/${id}/token`).set(bearer(svc.api_key));

      let revokesDone = 0;
      const revokes = doomed.map((c) =>
        request(broker.url)
          .delete(`/v1/connections/${c.id}`)
          .set(bearer(svc.api_key))
          .then((res) => {
            revokesDone++;
            return res;
          }),
      );
      // Every revocation is now waiting on the provider (the refresh token first).
      const deadline = Date.now() + 5_000;
      while (slowRevoke.requests.length < doomed.length && Date.now() < deadline) {
        await new Promise((ok) => setTimeout(ok, 50));
      }
      expect(slowRevoke.requests).toHaveLength(doomed.length);
      const latencies: number[] = [];
      for (const c of others) {
        const started = Date.now();
        await read(c.id).expect(200);
        latencies.push(Date.now() - started);
      }
      process.stdout.write(`slow revocation: other reads answered in ${latencies.join(', ')} ms\n`);
      expect(revokesDone).toBe(0);
      expect(Math.max(...latencies)).toBeLessThan(SLOW_MS / 4);
      // Erased locally before the provider answered: no replica serves these tokens.
      const waiting = await broker.db.prisma.connection.findMany({
        where: { id: { in: doomed.map((c) => c.id) } },
        include: { tokenSet: true },
      });
      for (const c of waiting) {
        expect(c.status).toBe('revoked');
        expect(c.tokenSet).toBeNull();
      }
      for (const c of doomed) await read(c.id).expect(410);

      for (const res of await Promise.all(revokes)) expect(res.status).toBe(204);
      // Refresh token then access token, for each connection.
      expect(slowRevoke.requests).toHaveLength(2 * doomed.length);
      const done = await broker.db.prisma.connection.findMany({
        where: { id: { in: doomed.map((c) => c.id) } },
      });
      for (const c of done) {
        expect(c.upstreamRevocation).toBe('succeeded');
        expect(c.pendingRevocation).toBeNull();
      }
    } finally {
      await slowRevoke.close();
    }
  }, 90_000);
});

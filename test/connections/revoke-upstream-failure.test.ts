import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  createRevocationRetryJob,
  retryPendingRevocations,
} from '../../src/connections/revocation-retry.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { isActive, UPSTREAM_CLIENT, upstreamConnection } from './fixtures.js';

/** A revocation endpoint that is down: 503 to everything (a fault oidc-provider cannot fake). */
async function startUnavailable(): Promise<{
  url: string;
  hits: () => number;
  close(): Promise<void>;
}> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token/revocation`,
    hits: () => hits,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe('revocation when the provider fails', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let unavailable: Awaited<ReturnType<typeof startUnavailable>>;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [UPSTREAM_CLIENT] });
    unavailable = await startUnavailable();
    broker = await startTestBroker({ clock });
  });
  afterAll(async () => {
    await broker.close();
    await unavailable.close();
    await upstream.close();
  });

  /** Points the provider's revocation endpoint somewhere else. */
  async function setRevocationEndpoint(key: string, url: string) {
    const { prisma } = broker.container.db;
    const row = await prisma.provider.findUniqueOrThrow({ where: { key } });
    await prisma.provider.update({
      where: { key },
      data: { metadata: { ...(row.metadata as object), revocation_endpoint: url } },
    });
    broker.container.providers.invalidate(key);
  }

  it('still revokes locally, keeps what is owed encrypted, and the retry job finishes it', async () => {
    const { prisma } = broker.container.db;
    const provider = await buildProvider(prisma, broker.container.keyring, upstream);
    const realEndpoint = `${upstream.issuer}/token/revocation`;
    await setRevocationEndpoint(provider.key, unavailable.url);
    const { connection, tokens } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      provider.key,
      'carol',
    );

    await request(broker.url)
      .delete(`/admin/connections/${connection.id}`)
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(204);

    // Both tokens were tried; 503s are retried (revocation is idempotent) until the breaker opens.
    expect(unavailable.hits()).toBeGreaterThanOrEqual(2);
    expect(await prisma.tokenSet.findUnique({ where: { connectionId: connection.id } })).toBeNull();
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row).toMatchObject({
      status: 'revoked',
      upstreamRevocation: 'failed',
      pendingRevocationKeyId: broker.container.keyring.currentKid,
      revocationAttempts: 1,
    });
    const sealed = Buffer.from(row.pendingRevocation ?? []).toString('latin1');
    expect(sealed.length).toBeGreaterThan(0);
    expect(sealed).not.toContain(tokens.refresh_token);
    expect(row.revocationRetryAt?.getTime()).toBeGreaterThan(clock.now().getTime() + 25_000);

    const shown = await request(broker.url)
      .get(`/admin/connections/${connection.id}`)
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(200);
    expect(shown.body).toMatchObject({ status: 'revoked', upstream_revocation: 'failed' });
    await broker.container.audit.flush();
    const audit = await prisma.auditEvent.findMany({
      where: { connectionId: connection.id, action: 'connection.revoke' },
    });
    expect(audit.map((a) => a.detail)).toStrictEqual([
      { upstream_revocation: 'failed', upstream_error: 'http_503' },
    ]);
    // The tokens are still alive at the provider: that is what the retry is for.
    expect(await isActive(upstream, tokens.refresh_token)).toBe(true);

    // Not due yet: nothing is retried.
    expect(await retryPendingRevocations(broker.container)).toStrictEqual({
      succeeded: 0,
      failed: 0,
    });

    // Due, still failing: backs off (second attempt waits 60 s).
    offsetMs += 31_000;
    expect(await retryPendingRevocations(broker.container)).toStrictEqual({
      succeeded: 0,
      failed: 1,
    });
    const backedOff = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(backedOff.revocationAttempts).toBe(2);
    expect(backedOff.revocationRetryAt?.getTime()).toBeGreaterThan(clock.now().getTime() + 55_000);

    // The provider is back; the job retries once due and clears what was owed.
    await setRevocationEndpoint(provider.key, realEndpoint);
    offsetMs += 61_000;
    const job = createRevocationRetryJob(broker.container, { intervalMs: 50 });
    job.start();
    try {
      const deadline = Date.now() + 5_000;
      let current = backedOff;
      while (current.pendingRevocation !== null && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        current = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
      }
      expect(current).toMatchObject({
        pendingRevocation: null,
        pendingRevocationKeyId: null,
        revocationRetryAt: null,
        upstreamRevocation: 'succeeded',
      });
    } finally {
      await job.stop();
    }
    expect(await isActive(upstream, tokens.refresh_token)).toBe(false);
    expect(await isActive(upstream, tokens.access_token)).toBe(false);
    await broker.container.audit.flush();
    const retries = await prisma.auditEvent.findMany({
      where: { connectionId: connection.id, action: 'connection.revoke_upstream' },
      orderBy: { id: 'asc' },
    });
    // The failing provider's circuit is open by then: the retry costs it no request.
    expect(retries.map((r) => [r.actorType, r.outcome])).toEqual([
      ['system', 'circuit_open'],
      ['system', 'success'],
    ]);
  });

  it('revokes locally when the revocation endpoint is a closed port', async () => {
    const { prisma } = broker.container.db;
    const provider = await buildProvider(prisma, broker.container.keyring, upstream);
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    await setRevocationEndpoint(provider.key, `http://127.0.0.1:${port}/revoke`);
    const { connection } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      provider.key,
      'dave',
    );

    await request(broker.url)
      .delete(`/admin/connections/${connection.id}`)
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(204);

    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.status).toBe('revoked');
    expect(row.upstreamRevocation).toBe('failed');
    expect(row.pendingRevocation).not.toBeNull();
  });
});

import pg from 'pg';
import request from 'supertest';
import { CONNECTION_CHANNEL } from '../../src/connections/revoke.js';
import type { TestBroker } from '../support/broker.js';
import type { Upstream } from '../support/upstream.js';
import { isActive, startBrokerAndUpstream, upstreamConnection } from './fixtures.js';

describe('DELETE /admin/connections/:id against oidc-provider', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ upstream, broker, providerKey, close } = await startBrokerAndUpstream());
  });
  afterAll(() => close());

  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });

  it('answers 401 without the admin token', async () => {
    const res = await request(broker.url).delete('/admin/connections/conn_x').expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('revokes both tokens at the provider, erases them, and records it once', async () => {
    const { prisma } = broker.container.db;
    const { connection, tokens } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      providerKey,
      'alice',
    );
    expect(await isActive(upstream, tokens.access_token)).toBe(true);
    expect(await isActive(upstream, tokens.refresh_token)).toBe(true);
    await prisma.connection.update({
      where: { id: connection.id },
      data: { nextRefreshAt: new Date(), leaseOwner: 'replica-1', leaseExpiresAt: new Date() },
    });

    await request(broker.url)
      .delete(`/admin/connections/${connection.id}`)
      .set(admin())
      .expect(204);

    expect(await isActive(upstream, tokens.refresh_token)).toBe(false);
    expect(await isActive(upstream, tokens.access_token)).toBe(false);
    expect(await prisma.tokenSet.findUnique({ where: { connectionId: connection.id } })).toBeNull();
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row).toMatchObject({
      status: 'revoked',
      nextRefreshAt: null,
      leaseOwner: null,
      leaseExpiresAt: null,
      pendingRevocation: null,
      upstreamRevocation: 'succeeded',
    });
    expect(row.revokedAt).toBeInstanceOf(Date);

    const shown = await request(broker.url)
      .get(`/admin/connections/${connection.id}`)
      .set(admin())
      .expect(200);
    expect(shown.body).toStrictEqual({
      id: connection.id,
      service_id: null,
      provider: providerKey,
      subject: 'alice',
      status: 'revoked',
      scopes: ['openid', 'offline_access', 'api'],
      metadata: {},
      expires_at: connection.expiresAt?.toISOString(),
      created_at: connection.createdAt.toISOString(),
      updated_at: row.updatedAt.toISOString(),
      last_refreshed_at: null,
      last_error: null,
      revoked_at: row.revokedAt?.toISOString(),
      upstream_revocation: 'succeeded',
    });

    await request(broker.url)
      .delete(`/admin/connections/${connection.id}`)
      .set(admin())
      .expect(204);

    const audit = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: connection.id, action: 'connection.revoke' })
      .set(admin())
      .expect(200);
    expect(audit.body.data).toHaveLength(1);
    expect(audit.body.data[0]).toMatchObject({
      actor_type: 'admin',
      actor_id: 'admin',
      action: 'connection.revoke',
      connection_id: connection.id,
      provider: providerKey,
      outcome: 'success',
      detail: { upstream_revocation: 'succeeded' },
    });

    const events = await prisma.webhookEvent.findMany({ where: { type: 'connection.revoked' } });
    const mine = events.filter(
      (e) =>
        (e.payload as { data: { connection_id: string } }).data.connection_id === connection.id,
    );
    expect(mine.map((e) => (e.payload as { data: unknown }).data)).toStrictEqual([
      {
        connection_id: connection.id,
        service_id: null,
        provider: providerKey,
        subject: 'alice',
        status: 'revoked',
      },
    ]);
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(tokens.access_token);
    expect(serialized).not.toContain(tokens.refresh_token);
    expect(broker.logs.text).not.toContain(tokens.access_token);
    expect(broker.logs.text).not.toContain(tokens.refresh_token);
  });

  it(`notifies ${CONNECTION_CHANNEL} with the connection id when the revocation commits`, async () => {
    const { prisma } = broker.container.db;
    const { connection } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      providerKey,
      'bob',
    );
    const listener = new pg.Client({ connectionString: broker.db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${CONNECTION_CHANNEL}`);
    try {
      await request(broker.url)
        .delete(`/admin/connections/${connection.id}`)
        .set(admin())
        .expect(204);
      const deadline = Date.now() + 1000;
      while (!heard.includes(connection.id) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(heard).toEqual([connection.id]);
    } finally {
      await listener.end();
    }
  });

  it('answers 404 for an unknown connection', async () => {
    const res = await request(broker.url)
      .delete('/admin/connections/conn_nope')
      .set(admin())
      .expect(404);
    expect(res.body).toStrictEqual({
      error: 'not_found',
      error_description: 'connection conn_nope not found',
    });
  });
});

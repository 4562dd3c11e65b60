import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { fakeConnection, plainProvider } from './fixtures.js';

describe('admin connections and audit API', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    const { prisma } = broker.container.db;
    await plainProvider(prisma, 'alpha');
    await plainProvider(prisma, 'beta');
  });
  afterAll(() => broker.close());

  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  /** One field of every item of a `{data: [...]}` body. */
  const pluck = (body: unknown, field: string) =>
    (body as { data: Record<string, unknown>[] }).data.map((item) => item[field]);
  const seed = (provider: string, subject?: string) =>
    fakeConnection(broker.container.db.prisma, broker.container.keyring, provider, subject);

  it.each([
    ['GET', '/admin/connections'],
    ['GET', '/admin/connections/conn_x'],
    ['DELETE', '/admin/connections/conn_x'],
    ['POST', '/admin/connections/revoke'],
    ['GET', '/admin/audit'],
  ])('%s %s answers 401 without the admin token, and with a wrong one', async (method, path) => {
    const verb = method.toLowerCase() as 'get' | 'post' | 'delete';
    const none = await request(broker.url)[verb](path).expect(401);
    expect(none.body).toStrictEqual({
      error: 'invalid_token',
      error_description: 'admin credential required',
    });
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const agent = request(broker.url);
    const wrong = await agent[verb](path)
      .set('Authorization', 'Bearer not-the-admin-token')
      .expect(401);
    expect(wrong.body.error).toBe('invalid_token');
  });

  it('lists connections in the API shape, never with a token', async () => {
    const cn = await seed('alpha', 'shape-subject');
    const res = await request(broker.url)
      .get('/admin/connections')
      .query({ subject: 'shape-subject' })
      .set(admin())
      .expect(200);
    expect(res.body).toStrictEqual({
      data: [
        {
          id: cn.id,
          service_id: null,
          provider: 'alpha',
          subject: 'shape-subject',
          status: 'active',
          scopes: ['openid', 'offline_access', 'api'],
          metadata: {},
          expires_at: cn.expiresAt?.toISOString(),
          created_at: cn.createdAt.toISOString(),
          updated_at: cn.updatedAt.toISOString(),
          last_refreshed_at: null,
          last_error: null,
        },
      ],
      next_cursor: null,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/at-0\.|rt-0\./);
  });

  it("shows the account identifiers the template kept as metadata (API.md's Connection)", async () => {
    const cn = await seed('alpha', 'metadata-subject');
    const metadata = { team_id: 'T123', instance_url: 'https://eu1.example.com' };
    await broker.db.prisma.connection.update({ where: { id: cn.id }, data: { metadata } });
    const res = await request(broker.url)
      .get(`/admin/connections/${cn.id}`)
      .set(admin())
      .expect(200);
    expect(res.body.metadata).toStrictEqual(metadata);
  });

  it('pages with an opaque cursor without gaps or repeats, and filters', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await seed('beta', `page-${i}`)).id);
    const other = await seed('alpha', 'page-0');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: request.Response = await request(broker.url)
        .get('/admin/connections')
        .query({ provider: 'beta', limit: 2, ...(cursor ? { cursor } : {}) })
        .set(admin())
        .expect(200);
      seen.push(...(pluck(res.body, 'id') as string[]));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());

    const bySubject = await request(broker.url)
      .get('/admin/connections')
      .query({ subject: 'page-0' })
      .set(admin())
      .expect(200);
    expect((pluck(bySubject.body, 'provider') as string[]).sort()).toEqual(['alpha', 'beta']);
    await broker.container.db.prisma.connection.update({
      where: { id: other.id },
      data: { status: 'reauthorization_required' },
    });
    const byStatus = await request(broker.url)
      .get('/admin/connections')
      .query({ status: 'reauthorization_required' })
      .set(admin())
      .expect(200);
    expect(pluck(byStatus.body, 'id')).toEqual([other.id]);
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ status: 'gone' }, 'status'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
  ])('rejects bad list query %p with 400 naming %s', async (query, field) => {
    const res = await request(broker.url)
      .get('/admin/connections')
      .query(query)
      .set(admin())
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(new RegExp(`^${field}`));
  });

  it('answers 404 for an unknown connection', async () => {
    const res = await request(broker.url)
      .get('/admin/connections/conn_missing')
      .set(admin())
      .expect(404);
    expect(res.body).toStrictEqual({
      error: 'not_found',
      error_description: 'connection conn_missing not found',
    });
  });

  it('bulk-revokes every connection of a subject, once', async () => {
    const { prisma } = broker.container.db;
    const a = await seed('alpha', 'leaver');
    const b = await seed('beta', 'leaver');
    const stay = await seed('alpha', 'stayer');
    const res = await request(broker.url)
      .post('/admin/connections/revoke')
      .send({ subject: 'leaver' })
      .set(admin())
      .expect(200);
    expect(res.body).toStrictEqual({
      revoked: 2,
      upstream_failed: 0,
      connection_ids: [a.id, b.id].sort(),
    });
    const rows = await prisma.connection.findMany({ where: { id: { in: [a.id, b.id, stay.id] } } });
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.status, r.upstreamRevocation]]))).toEqual({
      [a.id]: ['revoked', 'not_supported'],
      [b.id]: ['revoked', 'not_supported'],
      [stay.id]: ['active', null],
    });
    expect(await prisma.tokenSet.count({ where: { connectionId: { in: [a.id, b.id] } } })).toBe(0);

    const again = await request(broker.url)
      .post('/admin/connections/revoke')
      .send({ subject: 'leaver' })
      .set(admin())
      .expect(200);
    expect(again.body).toStrictEqual({ revoked: 0, upstream_failed: 0, connection_ids: [] });
  });

  it('bulk-revokes by provider and subject together', async () => {
    const target = await seed('beta', 'both');
    const other = await seed('alpha', 'both');
    const res = await request(broker.url)
      .post('/admin/connections/revoke')
      .send({ provider: 'beta', subject: 'both' })
      .set(admin())
      .expect(200);
    expect(res.body.connection_ids).toEqual([target.id]);
    const row = await broker.container.db.prisma.connection.findUniqueOrThrow({
      where: { id: other.id },
    });
    expect(row.status).toBe('active');
  });

  it.each([[{}], [{ provider: '' }], [{ provider: 'alpha', everything: true }]])(
    'refuses a bulk revoke with body %p',
    async (body) => {
      const res = await request(broker.url)
        .post('/admin/connections/revoke')
        .send(body)
        .set(admin())
        .expect(400);
      expect(res.body.error).toBe('invalid_request');
    },
  );

  it('queries the audit trail with filters and pages', async () => {
    const cn = await seed('alpha', 'audited');
    const base = Date.parse('2026-01-01T00:00:00Z');
    for (let i = 0; i < 3; i++) {
      broker.container.audit.record({
        actorType: 'service',
        actorId: 'svc_reader',
        action: 'token.read',
        connectionId: cn.id,
        providerKey: 'alpha',
        outcome: 'success',
        at: new Date(base + i * 60_000),
      });
    }
    await request(broker.url).delete(`/admin/connections/${cn.id}`).set(admin()).expect(204);

    const all = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: cn.id })
      .set(admin())
      .expect(200);
    expect(pluck(all.body, 'action')).toEqual([
      'connection.revoke',
      'token.read',
      'token.read',
      'token.read',
    ]);
    expect(all.body.data[1]).toStrictEqual({
      id: expect.stringMatching(/^\d+$/),
      at: '2026-01-01T00:02:00.000Z',
      actor_type: 'service',
      actor_id: 'svc_reader',
      action: 'token.read',
      connection_id: cn.id,
      provider: 'alpha',
      outcome: 'success',
      detail: {},
      request_id: null,
      client_ip: null,
    });

    const byActor = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: cn.id, actor: 'svc_reader', limit: 2 })
      .set(admin())
      .expect(200);
    expect(byActor.body.data).toHaveLength(2);
    const rest = await request(broker.url)
      .get('/admin/audit')
      .query({
        connection_id: cn.id,
        actor: 'svc_reader',
        limit: 2,
        cursor: byActor.body.next_cursor,
      })
      .set(admin())
      .expect(200);
    expect(pluck(rest.body, 'at')).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(rest.body.next_cursor).toBeNull();

    const window = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: cn.id, since: '2026-01-01T00:01:00Z', until: '2026-01-01T00:01:30Z' })
      .set(admin())
      .expect(200);
    expect(pluck(window.body, 'at')).toEqual(['2026-01-01T00:01:00.000Z']);

    await request(broker.url)
      .get('/admin/audit')
      .query({ since: 'yesterday' })
      .set(admin())
      .expect(400);
    await request(broker.url)
      .get('/admin/audit')
      .query({ since: '2026-02-01T00:00:00Z', until: '2026-01-01T00:00:00Z' })
      .set(admin())
      .expect(400);
  });
});

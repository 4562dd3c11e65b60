import request from 'supertest';
import { dispatchEvents } from '../../src/webhooks/queue.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { emit } from './receiver.js';

const bearer = { type: 'bearer' as const };

describe('webhook admin API', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  const as = (req: request.Test) => req.auth(broker.adminToken, bearer);
  const create = (body: object) => as(request(broker.url).post('/admin/webhooks')).send(body);

  it.each([
    ['POST', '/admin/webhooks'],
    ['GET', '/admin/webhooks'],
    ['GET', '/admin/webhooks/whep_x'],
    ['PATCH', '/admin/webhooks/whep_x'],
    ['DELETE', '/admin/webhooks/whep_x'],
    ['POST', '/admin/webhooks/whep_x/rotate-secret'],
    ['GET', '/admin/webhook-deliveries'],
    ['POST', '/admin/webhook-deliveries/whd_x/replay'],
  ])('%s %s without credentials is 401', async (method, path) => {
    const res = await request(broker.url)[method.toLowerCase() as 'get'](path).expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('creates an endpoint and shows its secret once, stored encrypted', async () => {
    const res = await create({ url: 'https://hooks.example.com/in' }).expect(201);
    expect(res.body).toStrictEqual({
      id: expect.stringMatching(/^whep_/),
      url: 'https://hooks.example.com/in',
      events: [],
      enabled: true,
      disabled_reason: null,
      previous_secret_expires_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
    });
    const secret = res.body.secret as string;
    expect(Buffer.from(secret.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    const shown = await as(request(broker.url).get(`/admin/webhooks/${res.body.id}`)).expect(200);
    expect(shown.body).not.toHaveProperty('secret');
    const list = await as(request(broker.url).get('/admin/webhooks')).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(secret.slice(6));
    const row = await broker.db.prisma.webhookEndpoint.findUniqueOrThrow({
      where: { id: res.body.id },
    });
    expect(Buffer.from(row.secret).toString('latin1')).not.toContain(secret.slice(6));
    expect(
      broker.container.keyring.decrypt(row.secret, row.keyId, {
        table: 'webhook_endpoints',
        id: row.id,
        field: 'secret',
      }),
    ).toBe(secret);
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://example.com/x' }, 'url: must be an http(s) URL'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://a.example', events: ['connection.deleted'] }, 'events.0'],
    [{ url: 'https://a.example', events: 'connection.created' }, 'events'],
    [{ url: 'https://a.example', enabled: 'yes' }, 'enabled'],
    [{ url: 'https://a.example', secret: 'whsec_mine' }, 'secret'],
  ])('rejects %j with 400 naming the field', async (body, field) => {
    const res = await create(body).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(field);
  });

  it('updates url, events and enabled, then deletes', async () => {
    const { body } = await create({ url: 'https://a.example/1' }).expect(201);
    const patched = await as(request(broker.url).patch(`/admin/webhooks/${body.id}`))
      .send({
        url: 'http://b.example/2',
        events: ['connection.revoked', 'connection.revoked'],
        enabled: false,
      })
      .expect(200);
    expect(patched.body).toMatchObject({
      url: 'http://b.example/2',
      events: ['connection.revoked'],
      enabled: false,
    });
    await as(request(broker.url).patch(`/admin/webhooks/${body.id}`))
      .send({ events: ['nope'] })
      .expect(400);
    await as(request(broker.url).delete(`/admin/webhooks/${body.id}`)).expect(204);
    await as(request(broker.url).get(`/admin/webhooks/${body.id}`)).expect(404);
    await as(request(broker.url).delete(`/admin/webhooks/${body.id}`)).expect(404);
    await as(request(broker.url).patch(`/admin/webhooks/${body.id}`))
      .send({ enabled: true })
      .expect(404);
  });

  it('rotates the secret with a 24 h overlap', async () => {
    const { body } = await create({ url: 'https://a.example/r' }).expect(201);
    const before = Date.now();
    const res = await as(
      request(broker.url).post(`/admin/webhooks/${body.id}/rotate-secret`),
    ).expect(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(body.secret);
    const overlapEnd = Date.parse(res.body.previous_secret_expires_at as string);
    expect(overlapEnd - before).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 1000);
    expect(overlapEnd - before).toBeLessThanOrEqual(24 * 3600 * 1000 + 5000);
    await as(request(broker.url).post('/admin/webhooks/whep_none/rotate-secret')).expect(404);
  });

  it('pages the endpoint list with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) await create({ url: `https://page.example/${i}` }).expect(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: request.Response = await as(
        request(broker.url)
          .get('/admin/webhooks')
          .query({ limit: 2, ...(cursor ? { cursor } : {}) }),
      ).expect(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...(res.body.data as { id: string }[]).map((e) => e.id));
      cursor = res.body.next_cursor as string | null;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    const all = await as(request(broker.url).get('/admin/webhooks?limit=100')).expect(200);
    expect(seen).toEqual((all.body.data as { id: string }[]).map((e) => e.id));
  });

  it.each([
    ['/admin/webhooks?limit=0', 'limit'],
    ['/admin/webhooks?limit=101', 'limit'],
    ['/admin/webhooks?cursor=garbage', 'cursor'],
    ['/admin/webhook-deliveries?status=lost', 'status'],
    ['/admin/webhook-deliveries?type=connection.deleted', 'type'],
    ['/admin/webhook-deliveries?limit=abc', 'limit'],
    ['/admin/webhook-deliveries?cursor=%7B%7D', 'cursor'],
  ])('GET %s is 400 naming %s', async (path, field) => {
    const res = await as(request(broker.url).get(path)).expect(400);
    expect(res.body.error_description).toContain(field);
  });

  it('lists deliveries newest first with filters and paging', async () => {
    await broker.db.prisma.webhookEndpoint.deleteMany();
    const a = await create({ url: 'https://a.example/log' }).expect(201);
    const b = await create({ url: 'https://b.example/log', events: ['connection.revoked'] });
    // No worker in this broker: fan the events out by hand, as the worker's dispatcher does.
    const created = await emit(broker, 'connection.created');
    const revoked = await emit(broker, 'connection.revoked');
    await dispatchEvents(broker.db.pool, new Date());

    const all = await as(request(broker.url).get('/admin/webhook-deliveries')).expect(200);
    expect(all.body.data).toHaveLength(3);
    expect(all.body.next_cursor).toBeNull();
    expect(all.body.data[0]).toStrictEqual({
      id: expect.stringMatching(/^whd_/),
      event_id: expect.any(String),
      type: expect.any(String),
      endpoint_id: expect.any(String),
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      last_latency_ms: null,
      last_error: null,
      next_attempt_at: expect.any(String),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const byEndpoint = await as(
      request(broker.url).get(`/admin/webhook-deliveries?endpoint_id=${b.body.id}`),
    ).expect(200);
    expect((byEndpoint.body.data as { event_id: string }[]).map((d) => d.event_id)).toEqual([
      revoked,
    ]);
    const byType = await as(
      request(broker.url).get('/admin/webhook-deliveries?type=connection.created'),
    ).expect(200);
    expect(byType.body.data).toEqual([
      expect.objectContaining({ event_id: created, endpoint_id: a.body.id }),
    ]);
    const none = await as(
      request(broker.url).get('/admin/webhook-deliveries?status=delivered'),
    ).expect(200);
    expect(none.body).toStrictEqual({ data: [], next_cursor: null });
    const first = await as(request(broker.url).get('/admin/webhook-deliveries?limit=2')).expect(
      200,
    );
    const rest = await as(
      request(broker.url).get(`/admin/webhook-deliveries?limit=2&cursor=${first.body.next_cursor}`),
    ).expect(200);
    expect([...first.body.data, ...rest.body.data]).toEqual(all.body.data);
    await as(request(broker.url).post('/admin/webhook-deliveries/whd_none/replay')).expect(404);
  });

  it('is in the OpenAPI document', async () => {
    const res = await request(broker.url).get('/openapi.json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/admin/webhooks',
        '/admin/webhooks/{id}',
        '/admin/webhooks/{id}/rotate-secret',
        '/admin/webhook-deliveries',
        '/admin/webhook-deliveries/{id}/replay',
      ]),
    );
  });
});

describe('webhook destinations with WEBHOOK_ALLOW_PRIVATE_URLS=false', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { WEBHOOK_ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(() => broker.close());

  it.each([
    'http://127.0.0.1:8080/x',
    'http://localhost/x',
    'http://10.1.2.3/x',
    'http://192.168.0.10/x',
    'http://[::1]/x',
    'http://169.254.169.254/latest',
  ])('refuses %s', async (url) => {
    const res = await request(broker.url)
      .post('/admin/webhooks')
      .auth(broker.adminToken, bearer)
      .send({ url })
      .expect(400);
    expect(res.body.error_description).toContain('private');
  });

  it('accepts a public address', async () => {
    await request(broker.url)
      .post('/admin/webhooks')
      .auth(broker.adminToken, bearer)
      .send({ url: 'https://93.184.215.14/hook' })
      .expect(201);
  });
});

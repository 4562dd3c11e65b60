import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { PROXY_ROUTE } from '../../src/http/proxy-route.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../connect/helpers.js';
import { connectByConsent, echo, json, startFakeApi, type FakeApi } from './support.js';
import { bearer, registerProvider } from '../support/factories.js';

/** A GET with the request target exactly as given (fetch and supertest normalise it). */
const rawGet = (base: string, target: string, apiKey: string) =>
  new Promise<number>((ok, fail) => {
    const url = new URL(base);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: target,
        headers: { authorization: `Bearer ${apiKey}` },
      },
      (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      },
    );
    req.on('error', fail);
    req.end();
  });

/** ANY /v1/connections/{id}/proxy/{path} (issue 17): route, credential injection, hygiene, refusals. */
describe('the proxy', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let api: FakeApi;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let consented: string;
  let keyConnection: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: [`${broker.container.config.publicUrl}/oauth/callback`],
        },
      ],
    });
    api = await startFakeApi([echo]);
    await registerProvider(broker, {
      key: 'idp',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access', 'api'],
      authorization_params: { prompt: 'consent' },
      // oidc-provider is the resource server too: its userinfo endpoint is `/me`.
      api_base_url: upstream.issuer,
    });
    await registerProvider(broker, {
      key: 'keys',
      auth_mode: 'api_key',
      api_base_url: `${api.url}/v2/`,
    });
    await registerProvider(broker, { key: 'basic', auth_mode: 'basic', api_base_url: api.url });
    await registerProvider(broker, { key: 'nobase', auth_mode: 'api_key' });
    a = await createService(broker, ['idp', 'keys', 'basic', 'nobase'], 'service-a');
    b = await createService(broker, ['idp', 'keys', 'basic', 'nobase'], 'service-b');
    consented = await connectByConsent(broker, a.apiKey, 'idp', 'alice');
    keyConnection = (
      await request(broker.url)
        .post('/v1/connections')
        .set(bearer(a.apiKey))
        .send({ type: 'api_key', provider: 'keys', subject: 'alice', api_key: 'key-of-alice' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
    await broker.close();
  });

  const proxy = (id: string, path: string) => `/v1/connections/${id}/proxy${path}`;

  it('without credentials is 401 invalid_token from the broker, and calls nobody', async () => {
    api.script([echo]);
    const res = await request(broker.url).get(proxy(keyConnection, '/user')).expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['broker-error']).toBe('invalid_token');
    expect(res.headers['broker-attempts']).toBe('0');
    expect(api.received).toHaveLength(0);
  });

  it('reaches a real resource server: oidc-provider userinfo with a connection made by consent', async () => {
    const res = await request(broker.url)
      .get(proxy(consented, '/me'))
      .set(bearer(a.apiKey))
      .expect(200);
    expect(res.body).toStrictEqual({ sub: 'alice' });
    expect(res.headers['broker-attempts']).toBe('1');
    expect(res.headers['broker-error']).toBeUndefined();
  });

  it('sums up proxied 200s in the access log at info; any other answer keeps its own line', async () => {
    api.script([echo]);
    await request(broker.url)
      .get(proxy(keyConnection, '/ok'))
      .set(bearer(a.apiKey))
      .set('X-Request-Id', 'proxied-ok')
      .expect(200);
    await request(broker.url)
      .get(proxy('conn_doesnotexist', '/ok'))
      .set(bearer(a.apiKey))
      .set('X-Request-Id', 'proxied-404')
      .expect(404);
    const lines = broker.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.req_id === 'proxied-ok')).toEqual([]);
    expect(lines.find((l) => l.req_id === 'proxied-404')).toMatchObject({
      msg: 'request',
      route: PROXY_ROUTE,
      status: 404,
    });
  });

  it("is 404 for another service's connection, exactly like an unknown one", async () => {
    for (const id of [consented, 'conn_doesnotexist']) {
      const res = await request(broker.url).get(proxy(id, '/me')).set(bearer(b.apiKey)).expect(404);
      expect([res.body.error, res.headers['broker-error']]).toEqual(['not_found', 'not_found']);
    }
  });

  it('injects an API key as a Bearer token under api_base_url, and strips what is the caller’s', async () => {
    api.script([echo]);
    const res = await request(broker.url)
      .get(proxy(keyConnection, '/items/42?q=a%20b&page=2'))
      .set(bearer(a.apiKey))
      .set('Cookie', 'session=caller')
      .set('X-Forwarded-For', '203.0.113.9')
      .set('Forwarded', 'for=203.0.113.9')
      .set('Broker-Anything', 'x')
      .set('Connection', 'keep-alive, X-Hop')
      .set('X-Hop', 'hop')
      .set('Accept', 'application/json')
      .set('X-Custom', 'kept')
      .expect(200);
    const seen = api.received[0]!;
    expect(seen.url).toBe('/v2/items/42?q=a%20b&page=2');
    expect(seen.headers.authorization).toBe('Bearer key-of-alice');
    expect(seen.headers.host).toBe(new URL(api.url).host);
    expect(seen.headers['x-custom']).toBe('kept');
    expect(seen.headers.accept).toBe('application/json');
    for (const name of ['cookie', 'x-forwarded-for', 'forwarded', 'broker-anything', 'x-hop']) {
      expect([name, seen.headers[name]]).toEqual([name, undefined]);
    }
    expect(res.body.url).toBe('/v2/items/42?q=a%20b&page=2');
  });

  it('passes the answer through less Set-Cookie, hop-by-hop and Broker-* headers', async () => {
    api.script([
      json(
        201,
        { made: true },
        {
          'set-cookie': 'upstream=1',
          'x-rate': '7',
          'broker-error': 'forged',
          connection: 'close, x-hop',
          'x-hop': 'h',
        },
      ),
    ]);
    const res = await request(broker.url)
      .post(proxy(keyConnection, '/items'))
      .set(bearer(a.apiKey))
      .send({ a: 1 })
      .expect(201);
    expect(res.body).toStrictEqual({ made: true });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-rate']).toBe('7');
    expect(res.headers['x-hop']).toBeUndefined();
    expect(res.headers['broker-error']).toBeUndefined();
    expect(res.headers['broker-attempts']).toBe('1');
    expect(api.received[0]!.body.toString()).toBe('{"a":1}');
    expect(api.received[0]!.headers['content-type']).toMatch(/^application\/json/);
  });

  it('sends basic credentials as Authorization: Basic', async () => {
    api.script([echo]);
    const made = await request(broker.url)
      .post('/v1/connections')
      .set(bearer(a.apiKey))
      .send({ type: 'basic', provider: 'basic', subject: 'alice', username: 'al', password: 'pw' })
      .expect(201);
    await request(broker.url).get(proxy(made.body.id, '/x')).set(bearer(a.apiKey)).expect(200);
    expect(api.received[0]!.headers.authorization).toBe(
      `Basic ${Buffer.from('al:pw').toString('base64')}`,
    );
  });

  it.each([
    ['/../admin'],
    ['/a/../../admin'],
    ['/a/%2e%2e/admin'],
    ['/a/%2E%2e/admin'],
    ['/a%2fb'],
    ['/a%5cb'],
    ['/a/%252e%252e/b'],
    ['/./a'],
    ['//evil.example/x'],
    ['/http://evil.example/x'],
  ])('refuses the path %s with 400 invalid_request, and sends and audits nothing', async (path) => {
    api.script([echo]);
    const audited = async () => {
      await broker.container.audit.flush();
      const { rows } = await broker.db.pool.query<{ n: string }>(
        `SELECT coalesce(sum(coalesce((detail->>'count')::int, 1)), 0) AS n FROM audit_events
          WHERE connection_id = $1 AND action = 'connection.proxy'`,
        [keyConnection],
      );
      return Number(rows[0]!.n);
    };
    const before = await audited();
    const res = await request(broker.url)
      .get(proxy(keyConnection, path))
      .set(bearer(a.apiKey))
      .expect(400);
    expect([res.body.error, res.headers['broker-error'], res.headers['broker-attempts']]).toEqual([
      'invalid_request',
      'invalid_request',
      '0',
    ]);
    expect(api.received).toHaveLength(0);
    expect(await audited()).toBe(before);
  });

  it('refuses a raw backslash or an absolute-form target too (not normalised by a client)', async () => {
    api.script([echo]);
    for (const target of [
      proxy(keyConnection, '/a\\b'),
      `http://evil.example${proxy(keyConnection, '/x')}`,
    ]) {
      const status = await rawGet(broker.url, target, a.apiKey);
      expect([target, status]).toEqual([target, target.startsWith('http') ? 404 : 400]);
    }
    expect(api.received).toHaveLength(0);
  });

  it('is 404 not_found from the broker for an id no connection can have, 401 before that without credentials', async () => {
    api.script([echo]);
    for (const id of ['conn%20x', '', 'c'.repeat(65)]) {
      const anonymous = await request(broker.url).get(`/v1/connections/${id}/proxy/x`).expect(401);
      expect(anonymous.headers['broker-error']).toBe('invalid_token');
      const res = await request(broker.url)
        .get(`/v1/connections/${id}/proxy/x`)
        .set(bearer(a.apiKey))
        .expect(404);
      expect([res.body.error, res.headers['broker-error'], res.headers['broker-attempts']]).toEqual(
        ['not_found', 'not_found', '0'],
      );
    }
    expect(api.received).toHaveLength(0);
  });

  it('is 400 for a provider without api_base_url', async () => {
    const made = await request(broker.url)
      .post('/v1/connections')
      .set(bearer(a.apiKey))
      .send({ type: 'api_key', provider: 'nobase', subject: 'alice', api_key: 'k' })
      .expect(201);
    const res = await request(broker.url)
      .get(proxy(made.body.id, '/x'))
      .set(bearer(a.apiKey))
      .expect(400);
    expect(res.headers['broker-error']).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/api_base_url/);
  });

  it('is 413 for a body over PROXY_BODY_LIMIT_BYTES, before anything is sent', async () => {
    api.script([echo]);
    const limit = broker.container.config.proxy.bodyLimitBytes;
    const res = await request(broker.url)
      .post(proxy(keyConnection, '/upload'))
      .set(bearer(a.apiKey))
      .set('Content-Type', 'application/octet-stream')
      .send(Buffer.alloc(limit + 1))
      .expect(413);
    expect(res.headers['broker-error']).toBe('payload_too_large');
    expect(api.received).toHaveLength(0);
  });

  it('is 410 for a revoked connection and 409 for one needing consent, without calling', async () => {
    api.script([echo]);
    const revoked = await request(broker.url)
      .post('/v1/connections')
      .set(bearer(a.apiKey))
      .send({ type: 'api_key', provider: 'keys', subject: 'bob', api_key: 'k' })
      .expect(201);
    await request(broker.url)
      .delete(`/v1/connections/${revoked.body.id}`)
      .set(bearer(a.apiKey))
      .expect(204);
    const gone = await request(broker.url)
      .get(proxy(revoked.body.id, '/x'))
      .set(bearer(a.apiKey))
      .expect(410);
    expect(gone.headers['broker-error']).toBe('revoked');
    const stale = await request(broker.url)
      .post('/v1/connections')
      .set(bearer(a.apiKey))
      .send({ type: 'api_key', provider: 'keys', subject: 'carol', api_key: 'k' })
      .expect(201);
    await broker.db.prisma.connection.update({
      where: { id: stale.body.id },
      data: { status: 'reauthorization_required' },
    });
    const consent = await request(broker.url)
      .get(proxy(stale.body.id, '/x'))
      .set(bearer(a.apiKey))
      .expect(409);
    expect(consent.headers['broker-error']).toBe('reauthorization_required');
    expect(api.received).toHaveLength(0);
  });

  it('is documented in /openapi.json for every method', async () => {
    const doc = await request(broker.url).get('/openapi.json').expect(200);
    const item = doc.body.paths['/v1/connections/{id}/proxy/{path}'];
    expect(Object.keys(item).sort()).toEqual([
      'delete',
      'get',
      'head',
      'options',
      'patch',
      'post',
      'put',
    ]);
    expect(Object.keys(item.get.responses)).toEqual(
      expect.arrayContaining(['400', '413', '429', '504']),
    );
  });

  it('audits proxied calls as connection.proxy without bodies, and never logs the credential', async () => {
    api.script([echo]);
    await request(broker.url)
      .put(proxy(keyConnection, '/secret-body'))
      .set(bearer(a.apiKey))
      .send({ s: 'top-secret-body' })
      .expect(200);
    await broker.container.audit.flush();
    const rows = await broker.db.pool.query(
      `SELECT action, outcome, detail::text FROM audit_events WHERE connection_id = $1 AND action = 'connection.proxy'`,
      [keyConnection],
    );
    expect(rows.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows.rows)).not.toContain('top-secret-body');
    expect(broker.logs.text).not.toContain('key-of-alice');
    expect(broker.logs.text).toContain('/v1/connections/:id/proxy/*path');
  });
});

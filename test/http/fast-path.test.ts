import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp, preRouteStages } from '../../src/http/app.js';
import { createFastPath } from '../../src/http/fast-path.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider, closedPortUrl } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import {
  brokerClient,
  buildProviderAt,
  createService,
  type CreatedService,
} from '../tokens/support.js';

const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
/** Headers that differ between any two responses of the same server. */
const VOLATILE = new Set(['date', 'connection', 'keep-alive']);

const comparable = (res: request.Response) => ({
  status: res.status,
  body: res.body as unknown,
  headers: Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VOLATILE.has(k))),
});

describe('the token read fast path answers exactly as the Express route', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let service: CreatedService;
  let expressOnly: Server;
  let expressUrl: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient] });
    broker = await startTestBroker();
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    service = await createService(broker, [providerKey]);
    // The same container behind Express alone: what the route answers without the fast path.
    expressOnly = createServer(createApp(broker.container));
    await new Promise<void>((ok) => expressOnly.listen(0, '127.0.0.1', ok));
    expressUrl = `http://127.0.0.1:${(expressOnly.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((ok) => expressOnly.close(() => ok()));
    await broker.close();
    await upstream.close();
  });

  async function connection(expiresAt: Date | null, extra: { key?: string; status?: string } = {}) {
    const issued = await upstream.issueTokens('broker', `user-${Math.random()}`);
    const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: extra.key ?? providerKey,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt,
      ...(extra.status ? { status: extra.status } : {}),
    });
    return row.id;
  }

  /** The same request to the broker (fast path) and to Express alone, compared whole. */
  async function expectSameAnswer(path: string, headers: Record<string, string>) {
    const requestId = `req-${Math.random().toString(36).slice(2)}`;
    const fast = await request(broker.url)
      .get(path)
      .set({ ...headers, 'X-Request-Id': requestId });
    const slow = await request(expressUrl)
      .get(path)
      .set({ ...headers, 'X-Request-Id': requestId });
    expect(comparable(fast)).toStrictEqual(comparable(slow));
    expect(fast.headers['x-request-id']).toBe(requestId);
    return fast;
  }

  it('is 401 without credentials, and with an unknown one', async () => {
    const id = await connection(inSeconds(3600));
    const none = await expectSameAnswer(`/v1/connections/${id}/token`, {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const unknown = await expectSameAnswer(`/v1/connections/${id}/token`, bearer('tbk_nope'));
    expect(unknown.status).toBe(401);
    const forged = `tbk_${'a'.repeat(16)}_${'b'.repeat(43)}`;
    expect((await expectSameAnswer(`/v1/connections/${id}/token`, bearer(forged))).status).toBe(
      401,
    );
  });

  it('200: the same Token, security headers, no-store and X-Request-Id', async () => {
    const id = await connection(inSeconds(3600));
    const res = await expectSameAnswer(
      `/v1/connections/${id}/token?min_ttl=30`,
      bearer(service.api_key),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      connection_id: id,
      provider: providerKey,
      token_type: 'Bearer',
    });
    expect(res.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'content-type': 'application/json; charset=utf-8',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('the same with a broker JWT', async () => {
    const id = await connection(inSeconds(3600));
    const jwt = await request(broker.url)
      .post('/oauth/token')
      .auth(service.client_id, service.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const res = await expectSameAnswer(
      `/v1/connections/${id}/token`,
      bearer(jwt.body.access_token as string),
    );
    expect(res.status).toBe(200);
  });

  it('400 for a bad min_ttl, 404 for unknown and out-of-policy connections', async () => {
    const id = await connection(inSeconds(3600));
    const auth = bearer(service.api_key);
    for (const query of ['min_ttl=-1', 'min_ttl=abc', 'min_ttl=99999', 'min_ttl=1&min_ttl=2']) {
      const res = await expectSameAnswer(`/v1/connections/${id}/token?${query}`, auth);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
    expect((await expectSameAnswer('/v1/connections/conn_nope/token', auth)).status).toBe(404);
    const other = await buildProvider(broker.db.prisma, broker.container.keyring, upstream);
    const outside = await connection(inSeconds(3600), { key: other.key });
    const res = await expectSameAnswer(`/v1/connections/${outside}/token`, auth);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });

  it('409 reauthorization_required and 410 revoked', async () => {
    const auth = bearer(service.api_key);
    const reauth = await connection(inSeconds(3600), { status: 'reauthorization_required' });
    const res409 = await expectSameAnswer(`/v1/connections/${reauth}/token`, auth);
    expect(res409.status).toBe(409);
    expect(res409.body).toMatchObject({
      error: 'reauthorization_required',
      connection_id: reauth,
    });
    const revoked = await connection(inSeconds(3600), { status: 'revoked' });
    const res410 = await expectSameAnswer(`/v1/connections/${revoked}/token`, auth);
    expect(res410.status).toBe(410);
    expect(res410.body.error).toBe('revoked');
  });

  it('503 upstream_unavailable with Retry-After when the provider is down and the token expired', async () => {
    const down = (await buildProviderAt(broker, upstream, await closedPortUrl())).key;
    const svc = await createService(broker, [down]);
    const id = await connection(inSeconds(-5), { key: down });
    const res = await expectSameAnswer(`/v1/connections/${id}/token`, bearer(svc.api_key));
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('upstream_unavailable');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('records the audit trail, the read counter and the request metric', async () => {
    const id = await connection(inSeconds(3600));
    await request(broker.url)
      .get(`/v1/connections/${id}/token`)
      .set(bearer(service.api_key))
      .expect(200);
    await broker.container.audit.flush();
    const rows = await broker.db.prisma.auditEvent.findMany({ where: { connectionId: id } });
    expect(rows.map((r) => [r.action, r.actorType, r.actorId, r.outcome])).toEqual([
      ['token.read', 'service', service.id, 'success'],
    ]);
    const metrics = (await request(broker.url).get('/metrics').set(bearer(broker.adminToken))).text;
    expect(metrics).toMatch(
      /token_broker_http_request_duration_seconds_count\{method="GET",route="\/v1\/connections\/:id\/token",status="200"\} [1-9]/,
    );
    expect(metrics).toContain(
      `token_broker_token_reads_total{provider="${providerKey}",outcome="success"}`,
    );
    expect(broker.logs.text).toContain('"route":"/v1/connections/:id/token"');
  });

  it('counts repeated reads into one audit row that GET /admin/audit shows at once', async () => {
    const id = await connection(inSeconds(3600));
    for (let i = 0; i < 3; i++) {
      await request(broker.url)
        .get(`/v1/connections/${id}/token`)
        .set(bearer(service.api_key))
        .expect(200);
    }
    // No flush and no wait: the audit API writes what this replica has counted first.
    const res = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: id })
      .set(bearer(broker.adminToken))
      .expect(200);
    expect(res.body.data).toEqual([
      expect.objectContaining({
        action: 'token.read',
        actor_id: service.id,
        outcome: 'success',
        detail: { count: 3, last_at: expect.any(String) },
      }),
    ]);
  });

  it('takes only the canonical GET of the token route; everything else reaches Express', async () => {
    const app = createApp(broker.container);
    const fellThrough: string[] = [];
    const server = createServer(
      createFastPath(broker.container, (req, res) => {
        fellThrough.push(`${req.method} ${req.url}`);
        app(req, res);
      }),
    );
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const id = await connection(inSeconds(3600));
      const auth = bearer(service.api_key);
      await request(url).get(`/v1/connections/${id}/token?min_ttl=5`).set(auth).expect(200);
      expect(fellThrough).toEqual([]);
      await request(url).get(`/v1/connections/${id}/token/`).set(auth).expect(200);
      await request(url).get(`/v1/connections/${id}`).set(auth).expect(200);
      await request(url).post(`/v1/connections/${id}/token`).set(auth).expect(405);
      await request(url).head(`/v1/connections/${id}/token`).set(auth).expect(200);
      expect(fellThrough).toEqual([
        `GET /v1/connections/${id}/token/`,
        `GET /v1/connections/${id}`,
        `POST /v1/connections/${id}/token`,
        `HEAD /v1/connections/${id}/token`,
      ]);
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  it('meets every middleware of the app: each one before the routes is a declared stage', () => {
    const stages = preRouteStages(broker.container);
    const app = createApp(broker.container, stages);
    const layers = (app as unknown as { router: { stack: { handle: unknown; route?: unknown }[] } })
      .router.stack;
    const beforeRoutes = layers.slice(
      0,
      layers.findIndex((layer) => layer.route !== undefined),
    );
    expect(beforeRoutes.map((layer) => layer.handle)).toEqual(stages.map((s) => s.handler));
    for (const stage of stages) expect(stage.rawRoutes.length).toBeGreaterThan(0);
  });
});

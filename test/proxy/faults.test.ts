import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, registerProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../connect/helpers.js';
import { echo, hang, json, reset, startFakeApi, type ApiHandler, type FakeApi } from './support.js';

// Generous: the first calls of a cold broker on a busy machine pay discovery and a refresh.
const TIMEOUT_MS = 8000;
const PROVIDERS = 24;

/** Resolves when the caller's request `req` has a response (whatever happens to its body). */
const answerOf = (req: ClientRequest) =>
  new Promise<IncomingMessage>((ok, fail) => {
    req.on('response', ok);
    req.on('error', fail);
  });

/** What a real API will not do on demand, through the proxy (issue 17: retries, 401, deadline, bodies). */
describe('proxy faults', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let api: FakeApi;
  let svc: { id: string; apiKey: string };

  beforeAll(async () => {
    broker = await startTestBroker({ env: { PROXY_TIMEOUT_MS: String(TIMEOUT_MS) } });
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: ['http://127.0.0.1/cb'],
        },
      ],
    });
    api = await startFakeApi();
    // A provider per test: each has a circuit breaker of its own, untouched by the others' faults.
    for (let i = 0; i < PROVIDERS; i++) {
      await registerProvider(broker, {
        key: `api-${i}`,
        issuer: upstream.issuer,
        client_id: 'broker',
        client_secret: 'broker-secret',
        scopes: ['openid', 'offline_access', 'api'],
        api_base_url: api.url,
      });
    }
    svc = await createService(
      broker,
      Array.from({ length: PROVIDERS }, (_, i) => `api-${i}`),
      'faults',
    );
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
    await broker.close();
  });

  /** A connection of the service holding real upstream tokens (refreshable at oidc-provider). */
  let used = 0;
  beforeEach(() => {
    used++;
  });
  async function connection(provider = `api-${used}`, serviceId = svc.id) {
    const tokens = await upstream.issueTokens(
      'broker',
      `user-${Math.random().toString(36).slice(2, 8)}`,
    );
    const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: provider,
      serviceId,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      expiresAt: new Date(Date.now() + 3600_000),
    });
    return { id: row.id, accessToken: tokens.access_token };
  }
  const call = (id: string, path = '/thing') => `/v1/connections/${id}/proxy${path}`;
  /** 401 for `token`, `then` for any other. */
  const refuses =
    (token: string, then: ApiHandler = echo): ApiHandler =>
    (req, res) =>
      req.headers.authorization === `Bearer ${token}`
        ? json(401, { error: 'expired' })(req, res)
        : then(req, res);

  it('401 then 200: refreshes once, sends again with the new token', async () => {
    const c = await connection();
    api.script([refuses(c.accessToken)]);
    const before = upstream.refreshGrants();
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    expect(res.headers['broker-attempts']).toBe('2');
    expect(upstream.refreshGrants() - before).toBe(1);
    expect(api.received.map((r) => r.headers.authorization === `Bearer ${c.accessToken}`)).toEqual([
      true,
      false,
    ]);
  });

  it('concurrent 401s on one connection cause one refresh at the provider', async () => {
    const c = await connection();
    api.script([refuses(c.accessToken)]);
    const before = upstream.refreshGrants();
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => request(broker.url).get(call(c.id)).set(bearer(svc.apiKey))),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(upstream.refreshGrants() - before).toBe(1);
  });

  it('a second 401 is passed through as the provider said it', async () => {
    const c = await connection();
    api.script([
      json(401, { error: 'nope' }, { 'www-authenticate': 'Bearer error="invalid_token"' }),
    ]);
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(401);
    expect(res.body).toStrictEqual({ error: 'nope' });
    expect(res.headers['broker-error']).toBeUndefined();
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.headers['broker-attempts']).toBe('2');
  });

  it('429 with Retry-After on a GET: waits and retries', async () => {
    const c = await connection();
    api.script([json(429, { slow: 'down' }, { 'retry-after': '1' }), json(200, { ok: 1 })]);
    const started = Date.now();
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect([res.body, res.headers['broker-attempts']]).toEqual([{ ok: 1 }, '2']);
  });

  it('Retry-After as an HTTP date: a 503 on a GET waits until then; a 429 past the deadline is remembered until then', async () => {
    const c = await connection();
    const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toUTCString();
    api.script([json(503, { busy: true }, { 'retry-after': inSeconds(2) }), json(200, { ok: 1 })]);
    const started = Date.now();
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    // An HTTP date has whole seconds: 2 s ahead is 1–2 s of waiting.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect([res.body, res.headers['broker-attempts']]).toEqual([{ ok: 1 }, '2']);
    api.script([json(429, { slow: 'down' }, { 'retry-after': inSeconds(120) })]);
    await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(429);
    const blocked = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(429);
    expect([blocked.body.error, blocked.headers['broker-attempts']]).toEqual(['rate_limited', '0']);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(100);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(120);
    expect(api.received).toHaveLength(1);
  });

  it('429 whose Retry-After passes the deadline is answered as is, then remembered: the next call never reaches the provider', async () => {
    const c = await connection();
    api.script([json(429, { slow: 'down' }, { 'retry-after': '30' })]);
    const first = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(429);
    expect([first.body, first.headers['broker-error'], first.headers['broker-attempts']]).toEqual([
      { slow: 'down' },
      undefined,
      '1',
    ]);
    const second = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(429);
    expect(second.body.error).toBe('rate_limited');
    expect(second.headers['broker-error']).toBe('rate_limited');
    expect(second.headers['broker-attempts']).toBe('0');
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(25);
    expect(api.received).toHaveLength(1);
    // Another connection of the same provider (quota per connection) still calls.
    api.script([echo]);
    await request(broker.url)
      .get(call((await connection()).id))
      .set(bearer(svc.apiKey))
      .expect(200);
  });

  it('X-RateLimit-Remaining: 0 with an epoch X-RateLimit-Reset blocks until the reset', async () => {
    const c = await connection();
    const reset = Math.floor(Date.now() / 1000) + 60;
    api.script([
      json(
        200,
        { last: true },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      ),
    ]);
    await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    const blocked = await request(broker.url)
      .post(call(c.id))
      .set(bearer(svc.apiKey))
      .send({})
      .expect(429);
    expect(blocked.headers['broker-error']).toBe('rate_limited');
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(50);
    expect(api.received).toHaveLength(1);
    const row = await broker.db.pool.query(
      'SELECT provider_key FROM proxy_rate_limits WHERE scope = $1',
      [`c:${c.id}`],
    );
    expect(row.rows).toEqual([{ provider_key: `api-${used}` }]);
  });

  it('a template whose quota is per app blocks every connection of the provider', async () => {
    // Spotify's quota is per app (template api.quota); its API base is the fake here.
    await registerProvider(broker, {
      key: 'spotify',
      template: 'spotify',
      client_id: 'spotify-client',
      client_secret: 'spotify-secret',
      api_base_url: api.url,
    });
    const own = await createService(broker, ['spotify'], 'spotify-app');
    const [one, other] = [await connection('spotify', own.id), await connection('spotify', own.id)];
    api.script([json(429, {}, { 'retry-after': '45' })]);
    await request(broker.url).get(call(one.id)).set(bearer(own.apiKey)).expect(429);
    const blocked = await request(broker.url)
      .get(call(other.id))
      .set(bearer(own.apiKey))
      .expect(429);
    expect([blocked.headers['broker-error'], api.received.length]).toEqual(['rate_limited', 1]);
  });

  it('the IETF RateLimit field with r=0 blocks too', async () => {
    const c = await connection();
    api.script([
      json(
        200,
        {},
        { ratelimit: '"default";r=0;t=40', 'ratelimit-policy': '"default";q=100;w=60' },
      ),
    ]);
    await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    const blocked = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(35);
  });

  it('503 on a POST without Idempotency-Key is passed through; with one it is retried', async () => {
    const c = await connection();
    api.script([json(503, { down: true }), json(201, { made: 1 })]);
    const once = await request(broker.url)
      .post(call(c.id))
      .set(bearer(svc.apiKey))
      .send({ a: 1 })
      .expect(503);
    expect([once.body, once.headers['broker-attempts'], once.headers['broker-error']]).toEqual([
      { down: true },
      '1',
      undefined,
    ]);
    api.script([json(503, { down: true }), json(201, { made: 1 })]);
    const keyed = await request(broker.url)
      .post(call(c.id))
      .set(bearer(svc.apiKey))
      .set('Idempotency-Key', 'k-1')
      .send({ a: 1 })
      .expect(201);
    expect(keyed.headers['broker-attempts']).toBe('2');
    expect(api.received.map((r) => r.body.toString())).toEqual(['{"a":1}', '{"a":1}']);
    expect(api.received[1]!.headers['idempotency-key']).toBe('k-1');
  });

  it('gives up after PROXY_MAX_ATTEMPTS and passes the last answer through', async () => {
    const c = await connection();
    api.script([json(502, { n: 'bad gateway' })]);
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(502);
    expect([res.body, res.headers['broker-attempts']]).toEqual([{ n: 'bad gateway' }, '3']);
    expect(api.received).toHaveLength(3);
  });

  it('an answer slower than PROXY_TIMEOUT_MS is 504 upstream_unavailable', async () => {
    const c = await connection();
    api.script([hang]);
    const started = Date.now();
    const res = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(504);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1000);
    expect([res.body.error, res.headers['broker-error'], res.headers['broker-attempts']]).toEqual([
      'upstream_unavailable',
      'upstream_unavailable',
      '1',
    ]);
  });

  it('a reset connection is retried for a GET and is 502 for a POST', async () => {
    const c = await connection();
    api.script([reset, json(200, { back: true })]);
    const get = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
    expect(get.headers['broker-attempts']).toBe('2');
    api.script([reset]);
    const post = await request(broker.url)
      .post(call(c.id))
      .set(bearer(svc.apiKey))
      .send({})
      .expect(502);
    expect([
      post.body.error,
      post.headers['broker-error'],
      post.headers['broker-attempts'],
    ]).toEqual(['upstream_unavailable', 'upstream_unavailable', '1']);
  });

  it('garbage instead of HTTP is 502 upstream_unavailable, never a crash', async () => {
    const c = await connection();
    api.script([(_req, res) => res.socket?.end('NOT HTTP AT ALL\r\n\r\n')]);
    const res = await request(broker.url)
      .post(call(c.id))
      .set(bearer(svc.apiKey))
      .send({})
      .expect(502);
    expect(res.headers['broker-error']).toBe('upstream_unavailable');
  });

  it('passes a redirect to another host through, never following it', async () => {
    const c = await connection();
    api.script([
      (_req, res) => res.writeHead(302, { location: 'https://elsewhere.example/steal' }).end(),
    ]);
    const res = await request(broker.url)
      .get(call(c.id))
      .set(bearer(svc.apiKey))
      .redirects(0)
      .expect(302);
    expect(res.headers.location).toBe('https://elsewhere.example/steal');
    expect(api.received).toHaveLength(1);
  });

  it('streams a 5 MiB body each way', async () => {
    const c = await connection();
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    api.script([echo]);
    const up = await request(broker.url)
      .put(call(c.id, '/blob'))
      .set(bearer(svc.apiKey))
      .set('Content-Type', 'application/octet-stream')
      .send(big)
      .expect(200);
    expect(up.body.length).toBe(big.length);
    expect(api.received[0]!.body.equals(big)).toBe(true);
    api.script([
      (_req, res) => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(big),
    ]);
    const down = await request(broker.url)
      .get(call(c.id, '/blob'))
      .set(bearer(svc.apiKey))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect((down.body as Buffer).equals(big)).toBe(true);
  });

  it("opens the provider's circuit after repeated 5xx: 503 with Retry-After without calling", async () => {
    const c = await connection();
    api.script([json(500, { boom: true })]);
    for (let i = 0; i < 5; i++) {
      await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(500);
    }
    const open = await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(503);
    expect([
      open.body.error,
      open.headers['broker-error'],
      open.headers['broker-attempts'],
    ]).toEqual(['upstream_unavailable', 'upstream_unavailable', '0']);
    expect(Number(open.headers['retry-after'])).toBeGreaterThan(0);
    expect(api.received).toHaveLength(5);
    expect(broker.container.oauth.circuitState(`api-${used}`)).toBe(1);
  });
  /** A handler that answers nothing for a long while, and tells when the broker hung up on it. */
  function slow(headFirst: boolean) {
    let closed: () => void = () => undefined;
    const hungUp = new Promise<void>((ok) => (closed = ok));
    const handler: ApiHandler = (_req, res) => {
      if (headFirst) res.writeHead(200, { 'content-type': 'text/plain' }).write('first part\n');
      const timer = setTimeout(() => res.end('too late'), TIMEOUT_MS * 2);
      res.on('close', () => {
        clearTimeout(timer);
        if (!res.writableFinished) closed();
      });
    };
    return { handler, hungUp };
  }
  /** A GET through the proxy whose caller goes away once `when` has happened. */
  function leaveAfter(id: string, when: Promise<unknown>) {
    const url = new URL(broker.url);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: call(id),
      headers: { authorization: `Bearer ${svc.apiKey}` },
    });
    req.on('error', () => undefined);
    req.end();
    void when.then(() => req.destroy());
    return req;
  }
  const arrived = async (n: number) => {
    while (api.received.length < n) await new Promise((ok) => setTimeout(ok, 10));
  };

  it('a caller that disconnects while the provider is slow aborts the upstream request: no retry, no breaker failure', async () => {
    const c = await connection();
    for (let i = 1; i <= 5; i++) {
      const { handler, hungUp } = slow(false);
      api.script([handler]);
      const started = Date.now();
      leaveAfter(c.id, arrived(1));
      await hungUp;
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
    }
    // A GET would have been retried on a network error; five would have opened the circuit.
    await new Promise((ok) => setTimeout(ok, 300));
    expect(api.received).toHaveLength(1);
    expect(broker.container.oauth.circuitState(`api-${used}`)).toBe(0);
    api.script([echo]);
    await request(broker.url).get(call(c.id)).set(bearer(svc.apiKey)).expect(200);
  });

  it('a caller that disconnects while the answer streams stops the upstream body too', async () => {
    const c = await connection();
    const { handler, hungUp } = slow(true);
    api.script([handler]);
    const url = new URL(broker.url);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: call(c.id),
      headers: { authorization: `Bearer ${svc.apiKey}` },
    });
    req.end();
    const res = await answerOf(req);
    expect(res.statusCode).toBe(200);
    const first = await new Promise<Buffer>((ok) => res.once('data', ok));
    expect(first.toString()).toBe('first part\n');
    const started = Date.now();
    req.destroy();
    await hungUp;
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
  });

  it('a chunked body (no Content-Length) over PROXY_BODY_LIMIT_BYTES is 413, and the provider receives no request', async () => {
    const c = await connection();
    api.script([echo]);
    const limit = broker.container.config.proxy.bodyLimitBytes;
    const url = new URL(broker.url);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: call(c.id, '/upload'),
      headers: {
        authorization: `Bearer ${svc.apiKey}`,
        'content-type': 'application/octet-stream',
        'idempotency-key': 'chunked-1',
      },
    });
    const answered = answerOf(req);
    expect(req.getHeader('content-length')).toBeUndefined();
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    let stop = false;
    void answered.then(
      () => (stop = true),
      () => (stop = true),
    );
    while (!stop && sent <= limit) {
      if (!req.write(chunk)) await new Promise((ok) => req.once('drain', ok));
      sent += chunk.length;
    }
    if (!stop) req.end();
    const res = await answered;
    const body = await new Promise<string>((ok) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => ok(text));
    });
    expect([res.statusCode, res.headers['broker-error'], JSON.parse(body).error]).toEqual([
      413,
      'payload_too_large',
      'payload_too_large',
    ]);
    req.destroy();
    await new Promise((ok) => setTimeout(ok, 200));
    // The first MiB is held; past it the stream is cut at the limit: never a whole request.
    expect(api.received).toHaveLength(0);
    // A small chunked body is kept whole: sent with its length, and sendable again.
    api.script([json(503, { busy: true }), echo]);
    const again = httpRequest({
      host: url.hostname,
      port: url.port,
      method: 'PUT',
      path: call(c.id, '/upload'),
      headers: { authorization: `Bearer ${svc.apiKey}` },
    });
    again.write('small ');
    again.end('chunked body');
    const echoed = await answerOf(again);
    expect([echoed.statusCode, echoed.headers['broker-attempts']]).toEqual([200, '2']);
    echoed.resume();
    expect(api.received.map((r) => [r.body.toString(), r.headers['content-length']])).toEqual([
      ['small chunked body', '18'],
      ['small chunked body', '18'],
    ]);
  });
});

import request from 'supertest';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';
import { waitFor } from '../support/wait.js';

const LIMIT = 3;

describe('rate limits, shared by two replicas on one database', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let a: TestBroker;
  let b: TestBroker;
  let service: CreatedService;
  let providerKey: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient] });
    db = await createTestDatabase();
    const env = {
      TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
      PUBLIC_URL: 'http://broker.test',
      RATE_LIMIT_TOKEN_PER_MINUTE: String(LIMIT),
      RATE_LIMIT_CONNECT_PER_MINUTE: String(LIMIT),
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: String(LIMIT),
    };
    a = await startTestBroker({ db, env, jobs: () => [] });
    b = await startTestBroker({ db, env: { ...env, ADMIN_API_TOKEN: a.adminToken } });
    providerKey = (await buildProvider(db.prisma, a.container.keyring, upstream)).key;
    service = await createService(a, [providerKey]);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
    await upstream.close();
  });
  beforeEach(() => db.prisma.rateLimitBucket.deleteMany());

  const expectLimited = (res: request.Response) => {
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
  };

  it('POST /oauth/token: the budget is per client and shared across replicas', async () => {
    const issue = (url: string) =>
      request(url)
        .post('/oauth/token')
        .auth(service.client_id, service.client_secret)
        .type('form')
        .send({ grant_type: 'client_credentials' });
    for (const url of [a.url, b.url, a.url]) expect((await issue(url)).status).toBe(200);
    const res = await issue(b.url);
    expectLimited(res);
    expect(res.body).toStrictEqual({
      error: 'rate_limited',
      error_description: expect.any(String),
    });
  });

  it('POST /v1/connect-sessions: limited per service credential', async () => {
    const create = (url: string) =>
      request(url)
        .post('/v1/connect-sessions')
        .set(bearer(service.api_key))
        .send({ provider: providerKey, subject: 'user-1' });
    for (const url of [a.url, b.url, a.url]) expect((await create(url)).status).toBe(201);
    expectLimited(await create(b.url));
  });

  it('GET /connect/*: limited per client IP, answered as a page', async () => {
    for (const url of [a.url, b.url, a.url]) {
      expect((await request(url).get('/connect/cs_unknown')).status).toBeLessThan(429);
    }
    const res = await request(b.url).get('/connect/cs_unknown');
    expectLimited(res);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('failed authentication: blocked per IP after the limit; a replica learns on its next failure', async () => {
    const wrong = (url: string) =>
      request(url)
        .get('/admin/services')
        .set(bearer(`${'x'.repeat(30)}`));
    for (let i = 0; i < LIMIT; i++) expect((await wrong(a.url)).status).toBe(401);
    // Over the shared count: this failure is answered 429, and the replica blocks the IP.
    expectLimited(await wrong(b.url));
    expectLimited(await wrong(b.url));
    // Blocked per IP: even the right credential waits (a guess must not be confirmable).
    expectLimited(await request(b.url).get('/admin/services').set(bearer(b.adminToken)));
    // Missing credentials are not guesses: still 401.
    expect((await request(b.url).get('/admin/services')).status).toBe(401);
  });

  it('a bad service API key counts against its key id as well', async () => {
    const key = service.api_key.slice(0, -3) + 'AAA';
    for (let i = 0; i < LIMIT + 1; i++) {
      const res = await request(a.url).get('/v1/connections').set(bearer(key));
      expect(res.status).toBe(i < LIMIT ? 401 : 429);
    }
    const rows = await db.prisma.rateLimitBucket.findMany({ orderBy: { key: 'asc' } });
    const keyId = service.api_key.split('_')[1] as string;
    expect(rows.map((r) => [r.key, r.count])).toStrictEqual([
      [`auth-failure:cred:${keyId}`, LIMIT + 1],
      [expect.stringMatching(/^auth-failure:ip:/), LIMIT + 1],
    ]);
  });
});

describe('rate limits: configuration and the token read path', () => {
  let upstream: Upstream;
  let broker: TestBroker;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    broker = await startTestBroker({
      jobs: () => [],
      env: { RATE_LIMIT_TOKEN_PER_MINUTE: '0', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '2' },
    });
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it('0 disables a limit', async () => {
    const service = await createService(broker, []);
    for (let i = 0; i < 5; i++) {
      await request(broker.url)
        .post('/oauth/token')
        .auth(service.client_id, service.client_secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
    }
  });

  it('successful token reads write nothing to rate_limit_buckets', async () => {
    const provider = await buildProvider(broker.db.prisma, broker.container.keyring, upstream);
    const service = await createService(broker, [provider.key]);
    const issued = await upstream.issueTokens('broker', 'reader');
    const conn = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: provider.key,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    await broker.db.prisma.rateLimitBucket.deleteMany();
    for (let i = 0; i < 20; i++) {
      await request(broker.url)
        .get(`/v1/connections/${conn.id}/token`)
        .set(bearer(service.api_key))
        .expect(200);
    }
    expect(await broker.db.prisma.rateLimitBucket.count()).toBe(0);
  });

  // Last: it leaves this IP blocked.
  it('wrong admin tokens at the console sign-in count per IP', async () => {
    const form = await request(broker.url).get('/console').expect(200);
    const cookie = String(form.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    const csrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
    const signIn = () =>
      request(broker.url)
        .post('/console/sign-in')
        .set('Cookie', cookie)
        .type('form')
        .send({ csrf, token: 'not-the-admin-token' });
    for (let i = 0; i <= 2; i++) expect((await signIn()).status).toBe(401);
    // Counted after the page is sent: wait for the last count to block the IP.
    await waitFor(async () => (await signIn()).status === 429, 5_000, 'the sign-in block');
  });
});

// Regression: the raw fast path of the token read skipped the failed-authentication guard.
describe('rate limits: failed authentication on the token read path', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({
      jobs: () => [],
      env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' },
    });
  });
  afterAll(() => broker.close());

  it('bad credentials are counted and then blocked with 429, like on every other route', async () => {
    const key = `tbk_0123456789abcdef_${'A'.repeat(43)}`;
    const read = () => request(broker.url).get('/v1/connections/conn_x/token').set(bearer(key));
    for (let i = 0; i < 3; i++) expect((await read()).status).toBe(401);
    // The failure over the limit is answered 429; the IP is then blocked before any lookup.
    expect((await read()).status).toBe(429);
    const limited = await read();
    expect(limited.status).toBe(429);
    expect(limited.body.error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const rows = await broker.db.prisma.rateLimitBucket.findMany({ orderBy: { key: 'asc' } });
    expect(rows.map((r) => [r.key, r.count])).toStrictEqual([
      ['auth-failure:cred:0123456789abcdef', 4],
      [expect.stringMatching(/^auth-failure:ip:/), 4],
    ]);
  });
});

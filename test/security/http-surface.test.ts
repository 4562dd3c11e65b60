import { secretEquals } from '../../src/services/credentials.js';
import { matchesHash, sha256 } from '../../src/services/credentials.js';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';

/**
 * The attack surface over HTTP. State/PKCE/nonce/iss tampering is covered by
 * test/connect/callback.test.ts (binding cookie, replayed state, expired state, iss
 * mix-up, missing iss) and the console's CSRF by test/console/console.test.ts; not repeated here.
 */
describe('HTTP attack surface', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let alpha: CreatedService;
  let beta: CreatedService;
  let connectionId: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    // Failed-authentication limits are tested in rate-limit.test.ts; here they would hide 401s.
    broker = await startTestBroker({
      jobs: () => [],
      env: { PUBLIC_URL: 'https://broker.test', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0' },
    });
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    alpha = await createService(broker, [providerKey], {
      allowed_return_to: ['https://app.example.com'],
    });
    beta = await createService(broker, []);
    const issued = await upstream.issueTokens('broker', 'isolated');
    connectionId = (
      await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
    ).id;
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it('every admin operation in the OpenAPI document is 401 without or with a wrong token', async () => {
    const doc = (await request(broker.url).get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: { admin?: unknown }[] }>>;
    };
    const admin = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.security?.some((s) => 'admin' in s))
        .map(([method]) => [method, path.replace(/\{\w+\}/g, 'x')] as const),
    );
    expect(admin.length).toBeGreaterThan(15);
    for (const [method, path] of admin) {
      for (const auth of [undefined, `Bearer ${alpha.api_key}`, `Bearer ${broker.adminToken}x`]) {
        const req = request(broker.url)[method as 'get'](path);
        const res = await (auth ? req.set('Authorization', auth) : req);
        expect([method, path, res.status, res.body.error]).toStrictEqual([
          method,
          path,
          401,
          'invalid_token',
        ]);
      }
    }
  });

  it('a service cannot see, read, refresh, revoke or exchange another service’s connection', async () => {
    const other = bearer(beta.api_key);
    for (const [method, path] of [
      ['get', `/v1/connections/${connectionId}`],
      ['get', `/v1/connections/${connectionId}/token`],
      ['post', `/v1/connections/${connectionId}/refresh`],
      ['delete', `/v1/connections/${connectionId}`],
    ] as const) {
      const res = await request(broker.url)[method](path).set(other);
      expect([path, res.status, res.body.error]).toStrictEqual([path, 404, 'not_found']);
    }
    const list = await request(broker.url).get('/v1/connections').set(other).expect(200);
    expect(list.body.data).toStrictEqual([]);
    const jwt = await request(broker.url)
      .post('/oauth/token')
      .auth(beta.client_id, beta.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const exchange = (subjectToken: string) =>
      request(broker.url)
        .post('/oauth/token')
        .auth(beta.client_id, beta.client_secret)
        .type('form')
        .send({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          resource: connectionId,
          subject_token: subjectToken,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        });
    const denied = await exchange(jwt.body.access_token as string);
    expect(denied.status).toBeGreaterThanOrEqual(400);
    expect(denied.status).toBeLessThan(500);
    expect(JSON.stringify(denied.body)).not.toMatch(/access_token/);
    // Alpha's JWT presented by beta's client credentials: not beta's, refused.
    const alphaJwt = await request(broker.url)
      .post('/oauth/token')
      .auth(alpha.client_id, alpha.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const stolen = await exchange(alphaJwt.body.access_token as string);
    expect(stolen.status).toBeGreaterThanOrEqual(400);
    expect(stolen.body).not.toHaveProperty('access_token');
  });

  it.each([
    'https://app.example.com.evil.com/x',
    '//evil.com/x',
    'https://evil.com/https://app.example.com',
    'https://app.example.com@evil.com/',
    'javascript:alert(1)//https://app.example.com',
    'http://app.example.com/x',
    'https://app.example.com:8443/x',
    'data:text/html,<script>alert(1)</script>',
    '/relative',
    'https:\\\\evil.com',
  ])('return_to %s is refused (400 invalid_request), no session minted', async (returnTo) => {
    const res = await request(broker.url)
      .post('/v1/connect-sessions')
      .set(bearer(alpha.api_key))
      .send({ provider: providerKey, subject: 'redirect-target', return_to: returnTo });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body).not.toHaveProperty('token');
  });

  it('an allowed return_to origin is accepted', async () => {
    await request(broker.url)
      .post('/v1/connect-sessions')
      .set(bearer(alpha.api_key))
      .send({ provider: providerKey, subject: 'ok', return_to: 'https://app.example.com/done?x=1' })
      .expect(201);
  });

  it.each([
    ['API', '/v1/connections', 'application/json'],
    ['unknown route', '/nope', 'application/json'],
    ['console page', '/console', 'text/html'],
    ['connect error page', '/connect/cs_unknown', 'text/html'],
  ])('security headers and CSP on the %s', async (_what, path, type) => {
    const res = await request(broker.url).get(path).set(bearer(alpha.api_key));
    expect(res.headers['content-type']).toContain(type);
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'strict-transport-security': expect.stringMatching(/max-age=\d+/),
    });
    expect(res.headers).not.toHaveProperty('x-powered-by');
  });

  it('cookies are HttpOnly, SameSite and Secure under an https PUBLIC_URL', async () => {
    // A plain OAuth 2.0 provider: /connect redirects to it without calling it first.
    await request(broker.url)
      .post('/admin/providers')
      .set(bearer(broker.adminToken))
      .send({
        key: 'plain',
        authorization_endpoint: 'https://idp.example/authorize',
        token_endpoint: 'https://idp.example/token',
        client_id: 'c',
        client_secret: 's',
      })
      .expect(201);
    const gamma = await createService(broker, ['plain']);
    const session = await request(broker.url)
      .post('/v1/connect-sessions')
      .set(bearer(gamma.api_key))
      .send({ provider: 'plain', subject: 'cookie-check' })
      .expect(201);
    const start = await request(broker.url).get(`/connect/${session.body.token}`).expect(200); // the connect page sets its CSRF cookie
    const consoleForm = await request(broker.url).get('/console').expect(200);
    const cookies = [
      ...(start.headers['set-cookie'] as unknown as string[]),
      ...(consoleForm.headers['set-cookie'] as unknown as string[]),
    ];
    expect(cookies.length).toBeGreaterThanOrEqual(2);
    for (const cookie of cookies) {
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=(Lax|Strict)/i);
      expect(cookie).toMatch(/; Secure/i);
    }
  });
});

describe('timing-safe comparisons', () => {
  it('secretEquals compares any lengths in constant time (timingSafeEqual over digests)', () => {
    expect(secretEquals('tba_secret', 'tba_secret')).toBe(true);
    expect(secretEquals('tba_secret', 'tba_secreT')).toBe(false);
    expect(secretEquals('', 'tba_secret')).toBe(false);
    expect(secretEquals('x'.repeat(10_000), 'tba_secret')).toBe(false);
    expect(secretEquals.toString()).toMatch(/timingSafeEqual\(/);
    expect(secretEquals.toString()).not.toMatch(/===|!==/);
  });

  it('matchesHash compares a presented key to its stored hash with timingSafeEqual', () => {
    const stored = sha256('tbk_0123456789abcdef_secret');
    expect(matchesHash('tbk_0123456789abcdef_secret', stored)).toBe(true);
    expect(matchesHash('tbk_0123456789abcdef_secreT', stored)).toBe(false);
    expect(matchesHash('x', new Uint8Array(3))).toBe(false);
    expect(matchesHash.toString()).toMatch(/timingSafeEqual\(/);
  });
});

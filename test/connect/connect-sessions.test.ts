import request from 'supertest';
import { sha256 } from '../../src/connect/secrets.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { APP_ORIGIN, createService } from './helpers.js';
import { registerProvider } from '../support/factories.js';

describe('POST /v1/connect-sessions', () => {
  let broker: TestBroker;
  let apiKey: string;
  beforeAll(async () => {
    broker = await startTestBroker();
    await registerProvider(broker, {
      key: 'github',
      template: 'github',
      client_id: 'a',
      client_secret: 's',
    });
    await registerProvider(broker, {
      key: 'slack',
      template: 'slack',
      client_id: 'a',
      client_secret: 's',
    });
    // `ghost` is in the policy but deleted afterwards: a provider the service may no longer reach.
    await registerProvider(broker, {
      key: 'ghost',
      template: 'github',
      client_id: 'a',
      client_secret: 's',
    });
    ({ apiKey } = await createService(broker, ['github', 'ghost']));
    await request(broker.url)
      .delete('/admin/providers/ghost')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(204);
  });
  afterAll(() => broker.close());
  const post = (body: object, key = apiKey) =>
    request(broker.url)
      .post('/v1/connect-sessions')
      .set('Authorization', `Bearer ${key}`)
      .send(body);

  it('answers a connect form posted as a JSON array with a 4xx page, never a 5xx (fuzz finding)', async () => {
    const s = (await post({ provider: 'github', subject: 'array-body' }).expect(201)).body;
    const res = await request(broker.url)
      .post(new URL(s.connect_url).pathname)
      .set('Content-Type', 'application/json')
      .send('["continue"]');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('is 401 without a service credential', async () => {
    const res = await request(broker.url)
      .post('/v1/connect-sessions')
      .send({ provider: 'github', subject: 'u' })
      .expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    await post(
      { provider: 'github', subject: 'u' },
      'tbk_0000000000000000_' + 'x'.repeat(43),
    ).expect(401);
  });

  it('mints a single-use link valid 10 minutes; only the token hash is stored', async () => {
    const before = Date.now();
    const res = await post({
      provider: 'github',
      subject: 'user-42',
      return_to: `${APP_ORIGIN}/done?x=1`,
    }).expect(201);
    expect(res.body).toStrictEqual({
      id: expect.stringMatching(/^cs_/),
      token: expect.stringMatching(/^tbc_[A-Za-z0-9_-]{43}$/),
      connect_url: `${broker.container.config.publicUrl}/connect/${res.body.token}`,
      expires_at: expect.any(String),
    });
    const ttl = Date.parse(res.body.expires_at) - before;
    expect(ttl).toBeGreaterThan(9.9 * 60_000);
    expect(ttl).toBeLessThanOrEqual(10 * 60_000 + 1000);
    const row = await broker.db.prisma.connectSession.findUniqueOrThrow({
      where: { id: res.body.id },
    });
    expect(Buffer.from(row.tokenHash)).toEqual(Buffer.from(sha256(res.body.token)));
    expect(JSON.stringify(row)).not.toContain(res.body.token.slice(4));
    expect(row).toMatchObject({ providerKey: 'github', subject: 'user-42', scopes: ['read:user'] });
    expect(broker.logs.text).not.toContain(res.body.token);
  });

  it('is 403 insufficient_scope for a provider outside the service policy', async () => {
    const res = await post({ provider: 'slack', subject: 'u' }).expect(403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  it('is 404 for an unknown provider the policy names', async () => {
    const res = await post({ provider: 'ghost', subject: 'u' }).expect(404);
    expect(res.body.error).toBe('not_found');
  });

  it.each([
    [{ provider: 'github', subject: 'u', return_to: 'https://evil.example.com/x' }, 'return_to'],
    [{ provider: 'github', subject: 'u', return_to: 'javascript:alert(1)' }, 'return_to'],
    [{ provider: 'github', subject: '' }, 'subject'],
    [{ provider: 'github', subject: 'x'.repeat(256) }, 'subject'],
    [{ provider: 'github', subject: 'tab\there' }, 'subject'],
    [{ provider: 'github' }, 'subject'],
    [{ provider: 'github', subject: 'u', scopes: ['a b'] }, 'scopes'],
    [{ provider: 'github', subject: 'u', connection_config: { shop: 'x' } }, 'connection_config'],
    [{ provider: 'github', subject: 'u', extra: 1 }, 'extra'],
  ])('is 400 invalid_request for %j', async (body, field) => {
    const res = await post(body).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(field);
  });
});

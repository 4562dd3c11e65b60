import request from 'supertest';
import { loadConfig } from '../../src/config/index.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { bearer } from '../support/factories.js';

const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://db/broker',
  TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
  ADMIN_API_TOKEN: 'a'.repeat(32),
};

describe('production accepted plain http for PUBLIC_URL, webhook URLs and allowed_return_to (issue 19, item 9)', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({
      jobs: () => [],
      env: { NODE_ENV: 'production', PUBLIC_URL: 'https://broker.example.com' },
    });
  });
  afterAll(() => broker.close());
  const admin = () => bearer(broker.adminToken);

  it('PUBLIC_URL must be https in production; loopback http stays allowed elsewhere', () => {
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'http://broker.example.com' })).toThrow(
      'PUBLIC_URL must be https when NODE_ENV=production',
    );
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'http://127.0.0.1:3000' })).toThrow(
      'PUBLIC_URL must be https when NODE_ENV=production',
    );
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://broker.example.com' }).publicUrl).toBe(
      'https://broker.example.com',
    );
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:3000' }).publicUrl).toBe(
      'http://127.0.0.1:3000',
    );
  });

  it('allowed_return_to origins must be https', async () => {
    const create = (origin: string) =>
      request(broker.url)
        .post('/admin/services')
        .set(admin())
        .send({ name: 'svc', allowed_return_to: [origin] });
    const refused = await create('http://app.example.com');
    expect(refused.status).toBe(400);
    expect(refused.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'allowed_return_to: must be https in production',
    });
    expect((await create('https://app.example.com')).status).toBe(201);
  });

  it('webhook URLs must be https, on create and on update', async () => {
    const refused = await request(broker.url)
      .post('/admin/webhooks')
      .set(admin())
      .send({ url: 'http://hooks.example.com/in' });
    expect(refused.status).toBe(400);
    expect(refused.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'url: must be https in production',
    });
    const created = await request(broker.url)
      .post('/admin/webhooks')
      .set(admin())
      .send({ url: 'https://hooks.example.com/in' })
      .expect(201);
    const id = (created.body as { id: string }).id;
    const patched = await request(broker.url)
      .patch(`/admin/webhooks/${id}`)
      .set(admin())
      .send({ url: 'http://hooks.example.com/in' });
    expect(patched.status).toBe(400);
  });

  // Item 8: provider endpoints in production are public https (PROVIDER_ALLOW_PRIVATE_URLS off).
  it.each([
    [
      'https://10.0.0.5/oauth/token',
      'token_endpoint: loopback and private-range destinations are not allowed',
    ],
    [
      'https://169.254.169.254/token',
      'token_endpoint: loopback and private-range destinations are not allowed',
    ],
    ['http://idp.example.com/token', 'token_endpoint: must be https'],
  ])('production provider endpoints: %s is refused', async (tokenEndpoint, description) => {
    const res = await request(broker.url).post('/admin/providers').set(admin()).send({
      key: 'private-idp',
      client_id: 'a',
      client_secret: 's',
      authorization_endpoint: 'https://idp.example.com/authorize',
      token_endpoint: tokenEndpoint,
    });
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual({ error: 'invalid_request', error_description: description });
  });
});

import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** Validation errors name every problem at once, in words a person can act on. */
describe('plain-word errors', () => {
  let broker: TestBroker;
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  it('lists every problem of a body with its field path, and suggests the field meant', async () => {
    const res = await request(broker.url)
      .post('/admin/providers')
      .set(admin())
      .send({ clientSecret: 'x', scopes: 'repo' })
      .expect(400);
    expect(res.body).toStrictEqual({
      error: 'invalid_request',
      error_description:
        'key: is required; scopes: must be a list, not string; clientSecret: not a field (did you mean client_secret?)',
    });
  });

  it('says what is wrong with each field of a service body', async () => {
    const res = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({ name: '', connection_access: 'all', allowedProviders: [] })
      .expect(400);
    expect(res.body.error_description).toBe(
      'name: must not be empty; connection_access: must be one of own, provider; allowedProviders: not a field (did you mean allowed_providers?)',
    );
  });

  it('a body sent without Content-Type: application/json gets a hint', async () => {
    const res = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .set('Content-Type', 'text/plain')
      .send('{"name":"x"}')
      .expect(400);
    expect(res.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'a JSON body is required: send it with Content-Type: application/json',
    });
  });

  it('an Authorization header without "Bearer " gets a hint, admin and service alike', async () => {
    const adminRes = await request(broker.url)
      .get('/admin/services')
      .set('Authorization', broker.adminToken)
      .expect(401);
    expect(adminRes.body.error).toBe('invalid_token');
    expect(adminRes.body.error_description).toContain('"Bearer <token>"');
    const serviceRes = await request(broker.url)
      .get('/v1/connections')
      .set('Authorization', 'tbk_0123456789abcdef_x')
      .expect(401);
    expect(serviceRes.body.error_description).toContain('"Bearer <credential>"');
    const none = await request(broker.url).get('/v1/connections').expect(401);
    expect(none.body.error_description).toBe('service credential required');
  });

  it('a query value out of range says the range in words', async () => {
    const res = await request(broker.url)
      .get('/admin/connections?limit=500')
      .set(admin())
      .expect(400);
    expect(res.body.error_description).toBe('limit: must be at most 100');
  });
});

import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

describe('admin services API', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
    await request(broker.url)
      .post('/admin/providers')
      .set(admin())
      .send({ key: 'github', template: 'github', client_id: 'id', client_secret: 'secret' })
      .expect(201);
  });
  afterAll(() => broker.close());
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });

  it('is 401 without the admin token', async () => {
    const res = await request(broker.url).get('/admin/services').expect(401);
    expect(res.body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    await request(broker.url).post('/admin/services').send({ name: 'x' }).expect(401);
    await request(broker.url)
      .delete('/admin/services/svc_x')
      .set('Authorization', 'Bearer wrong')
      .expect(401);
  });

  it('creates a service showing its secrets once, lists it without them, deletes it', async () => {
    const created = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({
        name: 'billing',
        allowed_providers: ['github'],
        allowed_return_to: ['https://app.example.com'],
      })
      .expect(201);
    expect(created.body).toStrictEqual({
      id: expect.stringMatching(/^svc_/),
      name: 'billing',
      display_name: null,
      allowed_providers: ['github'],
      allowed_return_to: ['https://app.example.com'],
      connection_access: 'own',
      client_id: created.body.id,
      jwks: null,
      created_at: expect.any(String),
      api_key: expect.stringMatching(/^tbk_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/),
      client_secret: expect.stringMatching(/^tbs_/),
    });
    const list = await request(broker.url).get('/admin/services').set(admin()).expect(200);
    expect(JSON.stringify(list.body)).not.toContain(created.body.api_key);
    expect(JSON.stringify(list.body)).not.toContain(created.body.client_secret);
    expect(list.body.data.map((s: { id: string }) => s.id)).toContain(created.body.id);

    const stored = await broker.db.prisma.serviceApiKey.findMany();
    // The secret part follows `tbk_<16 hex>_`; it may itself contain underscores.
    expect(JSON.stringify(stored)).not.toContain(created.body.api_key.slice('tbk_'.length + 17));

    expect(await broker.container.services.authenticate(created.body.api_key)).toMatchObject({
      id: created.body.id,
    });
    await request(broker.url).delete(`/admin/services/${created.body.id}`).set(admin()).expect(204);
    expect(await broker.container.services.authenticate(created.body.api_key)).toBeUndefined();
    await request(broker.url).delete(`/admin/services/${created.body.id}`).set(admin()).expect(404);
  });

  it('keeps display_name and connection_access, and shows them on every read', async () => {
    const created = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({ name: 'crm-backend', display_name: 'Acme CRM', connection_access: 'provider' })
      .expect(201);
    expect(created.body).toMatchObject({ display_name: 'Acme CRM', connection_access: 'provider' });
    const shown = await request(broker.url)
      .get(`/admin/services/${created.body.id}`)
      .set(admin())
      .expect(200);
    expect(shown.body).toMatchObject({ display_name: 'Acme CRM', connection_access: 'provider' });
    expect(await broker.container.services.authenticate(created.body.api_key)).toMatchObject({
      displayName: 'Acme CRM',
      connectionAccess: 'provider',
    });
  });

  it.each([
    [{}, 'name'],
    [{ name: 'x', allowed_return_to: ['https://app.example.com/path'] }, 'allowed_return_to.0'],
    [{ name: 'x', allowed_providers: ['Not A Key'] }, 'allowed_providers.0'],
    [{ name: 'x', extra: 1 }, ''],
    [{ name: 'x', connection_access: 'all' }, 'connection_access'],
    [{ name: 'x', display_name: '' }, 'display_name'],
  ])('rejects a bad body %j with 400 naming the field', async (body, field) => {
    const res = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send(body)
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(field);
  });
});

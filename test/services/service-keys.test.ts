import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** PATCH /admin/services/{id}, API key rotation with an overlap, and their audit entries. */
describe('service updates and key rotation', () => {
  let broker: TestBroker;
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  beforeAll(async () => {
    broker = await startTestBroker();
    for (const key of ['github', 'slack']) {
      await request(broker.url)
        .post('/admin/providers')
        .set(admin())
        .send({ key, template: key, client_id: 'id', client_secret: 'secret' })
        .expect(201);
    }
  });
  afterAll(() => broker.close());

  const createService = async (body: object = {}) =>
    (
      await request(broker.url)
        .post('/admin/services')
        .set(admin())
        .send({ name: 'billing', allowed_providers: ['github'], ...body })
        .expect(201)
    ).body as { id: string; api_key: string; client_secret: string };
  const listConnections = (key: string) =>
    request(broker.url).get('/v1/connections').set('Authorization', `Bearer ${key}`);
  const auditOf = async (action: string) =>
    (
      await request(broker.url)
        .get('/admin/audit')
        .query({ action, actor: 'admin' })
        .set(admin())
        .expect(200)
    ).body.data as { action: string; detail: Record<string, unknown>; request_id: string }[];

  it('is 401 without the admin token on every new route', async () => {
    await request(broker.url).patch('/admin/services/svc_x').send({ name: 'x' }).expect(401);
    await request(broker.url).post('/admin/services/svc_x/keys').expect(401);
    await request(broker.url).get('/admin/services/svc_x/keys').expect(401);
    await request(broker.url).delete('/admin/services/svc_x/keys/abc').expect(401);
  });

  it('PATCH changes only the fields given, keeps the credentials, and never shows a secret', async () => {
    const svc = await createService({ display_name: 'Billing' });
    const res = await request(broker.url)
      .patch(`/admin/services/${svc.id}`)
      .set(admin())
      .send({
        display_name: 'Acme Billing',
        connection_access: 'provider',
        allowed_providers: ['github', 'slack'],
        allowed_return_to: ['https://billing.example.com'],
      })
      .expect(200);
    expect(res.body).toStrictEqual({
      id: svc.id,
      name: 'billing',
      display_name: 'Acme Billing',
      allowed_providers: ['github', 'slack'],
      allowed_return_to: ['https://billing.example.com'],
      connection_access: 'provider',
      client_id: svc.id,
      jwks: null,
      created_at: expect.any(String),
    });
    // The same replica sees the new policy at once (its principal cache is dropped).
    expect(await broker.container.services.authenticate(svc.api_key)).toMatchObject({
      displayName: 'Acme Billing',
      connectionAccess: 'provider',
      allowedProviders: ['github', 'slack'],
    });
    const cleared = await request(broker.url)
      .patch(`/admin/services/${svc.id}`)
      .set(admin())
      .send({ display_name: null })
      .expect(200);
    expect(cleared.body).toMatchObject({ display_name: null, name: 'billing' });
    await listConnections(svc.api_key).expect(200);
  });

  it('refuses unknown provider keys with 400, on create and on PATCH', async () => {
    const created = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({ name: 'x', allowed_providers: ['github', 'nonexistent'] })
      .expect(400);
    expect(created.body).toStrictEqual({
      error: 'invalid_request',
      error_description: expect.stringContaining('"nonexistent"'),
    });
    const svc = await createService();
    const patched = await request(broker.url)
      .patch(`/admin/services/${svc.id}`)
      .set(admin())
      .send({ allowed_providers: ['nonexistent'] })
      .expect(400);
    expect(patched.body.error_description).toContain('not registered');
    const shown = await request(broker.url).get(`/admin/services/${svc.id}`).set(admin());
    expect(shown.body.allowed_providers).toEqual(['github']);
  });

  it.each([
    [{}, 'at least one field'],
    [{ name: '' }, 'name'],
    [{ connection_access: 'all' }, 'connection_access'],
    [{ client_secret: 'x' }, 'client_secret'],
  ])('PATCH with a bad body %j is 400 naming the problem', async (body, words) => {
    const svc = await createService();
    const res = await request(broker.url)
      .patch(`/admin/services/${svc.id}`)
      .set(admin())
      .send(body)
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(words);
  });

  it('PATCH and key routes of an unknown service are 404', async () => {
    await request(broker.url)
      .patch('/admin/services/svc_nope')
      .set(admin())
      .send({ name: 'x' })
      .expect(404);
    await request(broker.url).post('/admin/services/svc_nope/keys').set(admin()).expect(404);
    await request(broker.url).get('/admin/services/svc_nope/keys').set(admin()).expect(404);
  });

  it('rotates a key with an overlap: both work until the old one is revoked, then it is 401', async () => {
    const svc = await createService();
    const [first] = (
      await request(broker.url).get(`/admin/services/${svc.id}/keys`).set(admin()).expect(200)
    ).body.data as { id: string }[];
    expect(svc.api_key).toContain(`tbk_${first!.id}_`);

    const second = await request(broker.url)
      .post(`/admin/services/${svc.id}/keys`)
      .set(admin())
      .send({})
      .expect(201);
    expect(second.body).toStrictEqual({
      id: expect.stringMatching(/^[a-z0-9]{16}$/),
      api_key: expect.stringMatching(/^tbk_[a-z0-9]{16}_/),
      created_at: expect.any(String),
      expires_at: null,
    });
    await listConnections(svc.api_key).expect(200);
    await listConnections(second.body.api_key).expect(200);

    const listed = await request(broker.url)
      .get(`/admin/services/${svc.id}/keys`)
      .set(admin())
      .expect(200);
    expect(listed.body.data).toStrictEqual([
      {
        id: first!.id,
        created_at: expect.any(String),
        expires_at: null,
        last_used_at: expect.any(String),
      },
      {
        id: second.body.id,
        created_at: second.body.created_at,
        expires_at: null,
        last_used_at: expect.any(String),
      },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(second.body.api_key);

    await request(broker.url)
      .delete(`/admin/services/${svc.id}/keys/${first!.id}`)
      .set(admin())
      .expect(204);
    const refused = await listConnections(svc.api_key).expect(401);
    expect(refused.body.error).toBe('invalid_token');
    await listConnections(second.body.api_key).expect(200);
    await request(broker.url)
      .delete(`/admin/services/${svc.id}/keys/${first!.id}`)
      .set(admin())
      .expect(404);
  });

  it('a key of another service cannot be revoked through this one', async () => {
    const a = await createService();
    const b = await createService();
    const [keyOfB] = (await request(broker.url).get(`/admin/services/${b.id}/keys`).set(admin()))
      .body.data as { id: string }[];
    await request(broker.url)
      .delete(`/admin/services/${a.id}/keys/${keyOfB!.id}`)
      .set(admin())
      .expect(404);
    await listConnections(b.api_key).expect(200);
  });

  it('a key with expires_at works until then and is 401 after, even while cached', async () => {
    const svc = await createService();
    const soon = new Date(Date.now() + 1500).toISOString();
    const key = await request(broker.url)
      .post(`/admin/services/${svc.id}/keys`)
      .set(admin())
      .send({ expires_at: soon })
      .expect(201);
    expect(key.body.expires_at).toBe(new Date(soon).toISOString());
    await listConnections(key.body.api_key).expect(200);
    await new Promise((ok) => setTimeout(ok, 1600));
    await listConnections(key.body.api_key).expect(401);
    await listConnections(svc.api_key).expect(200);
  });

  it.each([
    [{ expires_at: '2020-01-01T00:00:00Z' }, 'in the future'],
    [{ expires_at: 'tomorrow' }, 'expires_at'],
    [{ expiry: '2030-01-01T00:00:00Z' }, 'expiry'],
  ])('a bad key body %j is 400', async (body, words) => {
    const svc = await createService();
    const res = await request(broker.url)
      .post(`/admin/services/${svc.id}/keys`)
      .set(admin())
      .send(body)
      .expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(words);
  });

  it('records every admin change in the audit trail, without secrets', async () => {
    const svc = await createService();
    await request(broker.url)
      .patch(`/admin/services/${svc.id}`)
      .set(admin())
      .send({ name: 'renamed', display_name: 'Renamed' })
      .expect(200);
    const key = await request(broker.url)
      .post(`/admin/services/${svc.id}/keys`)
      .set(admin())
      .expect(201);
    await request(broker.url)
      .delete(`/admin/services/${svc.id}/keys/${key.body.id}`)
      .set(admin())
      .expect(204);
    await request(broker.url).delete(`/admin/services/${svc.id}`).set(admin()).expect(204);

    const mine = (rows: { detail: Record<string, unknown> }[]) =>
      rows.filter((r) => r.detail.service_id === svc.id).map((r) => r.detail);
    expect(mine(await auditOf('service.create'))).toStrictEqual([{ service_id: svc.id }]);
    expect(mine(await auditOf('service.update'))).toStrictEqual([
      { service_id: svc.id, fields: 'display_name,name' },
    ]);
    expect(mine(await auditOf('service.key_create'))).toStrictEqual([
      { service_id: svc.id, key_id: key.body.id },
    ]);
    expect(mine(await auditOf('service.key_revoke'))).toStrictEqual([
      { service_id: svc.id, key_id: key.body.id },
    ]);
    expect(mine(await auditOf('service.delete'))).toStrictEqual([{ service_id: svc.id }]);
    const providers = await auditOf('provider.create');
    expect(providers.length).toBe(2);
    expect(providers[0]!.request_id).toEqual(expect.any(String));

    const all = await request(broker.url).get('/admin/audit').query({ limit: 100 }).set(admin());
    const text = JSON.stringify(all.body);
    expect(text).not.toContain(svc.api_key);
    expect(text).not.toContain(key.body.api_key);
    expect(text).not.toContain(svc.client_secret);
  });
});

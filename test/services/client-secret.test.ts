import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** POST /admin/services/{id}/client-secret: rotation with an overlap, at /oauth/token. */
describe('client-secret rotation', () => {
  let broker: TestBroker;
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  const createService = async () =>
    (
      await request(broker.url)
        .post('/admin/services')
        .set(admin())
        .send({ name: 'billing' })
        .expect(201)
    ).body as { id: string; client_id: string; client_secret: string };
  const rotate = (id: string, body?: object) =>
    request(broker.url).post(`/admin/services/${id}/client-secret`).set(admin()).send(body);
  /** The status of a client_credentials grant with Basic credentials. */
  const basic = async (clientId: string, secret: string) =>
    (
      await request(broker.url)
        .post('/oauth/token')
        .auth(clientId, secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
    ).status;
  /** The status of a client_credentials grant with client_secret_post. */
  const post = async (clientId: string, secret: string) =>
    (
      await request(broker.url).post('/oauth/token').type('form').send({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      })
    ).status;

  it('is 401 without the admin token and 404 for an unknown service', async () => {
    await request(broker.url).post('/admin/services/svc_x/client-secret').expect(401);
    const res = await rotate('svc_nope').expect(404);
    expect(res.body.error).toBe('not_found');
  });

  it('keeps the old secret working for 24 h by default, beside the new one; a third rotation drops the oldest', async () => {
    const svc = await createService();
    const before = Date.now();
    const first = await rotate(svc.id).expect(201);
    expect(first.body).toStrictEqual({
      client_id: svc.client_id,
      client_secret: expect.stringMatching(/^tbs_[A-Za-z0-9_-]{43}$/),
      previous_expires_at: expect.any(String),
    });
    const until = Date.parse(first.body.previous_expires_at);
    expect(until).toBeGreaterThanOrEqual(before + DAY_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + DAY_MS);
    expect(first.body.client_secret).not.toBe(svc.client_secret);

    for (const secret of [svc.client_secret, first.body.client_secret]) {
      expect(await basic(svc.client_id, secret)).toBe(200);
      expect(await post(svc.client_id, secret)).toBe(200);
    }
    expect(await basic(svc.client_id, 'tbs_wrong')).toBe(401);

    const second = await rotate(svc.id).expect(201);
    expect(await basic(svc.client_id, svc.client_secret)).toBe(401);
    expect(await post(svc.client_id, svc.client_secret)).toBe(401);
    expect(await basic(svc.client_id, first.body.client_secret)).toBe(200);
    expect(await basic(svc.client_id, second.body.client_secret)).toBe(200);
    // Shown once: nothing the admin API lists carries it.
    const listed = await request(broker.url).get(`/admin/services/${svc.id}`).set(admin());
    expect(JSON.stringify(listed.body)).not.toContain(second.body.client_secret);
  });

  it('a previous_expires_at in the past ends the old secret at once', async () => {
    const svc = await createService();
    const res = await rotate(svc.id, { previous_expires_at: '2020-01-01T00:00:00Z' }).expect(201);
    expect(res.body.previous_expires_at).toBeNull();
    expect(await basic(svc.client_id, svc.client_secret)).toBe(401);
    expect(await basic(svc.client_id, res.body.client_secret)).toBe(200);
  });

  it('the old secret works until previous_expires_at, then it is 401', async () => {
    const svc = await createService();
    const soon = new Date(Date.now() + 1500).toISOString();
    const res = await rotate(svc.id, { previous_expires_at: soon }).expect(201);
    expect(res.body.previous_expires_at).toBe(soon);
    expect(await basic(svc.client_id, svc.client_secret)).toBe(200);
    await new Promise((ok) => setTimeout(ok, 1600));
    expect(await basic(svc.client_id, svc.client_secret)).toBe(401);
    expect(await post(svc.client_id, svc.client_secret)).toBe(401);
    expect(await basic(svc.client_id, res.body.client_secret)).toBe(200);
  });

  it.each([
    [{ previous_expires_at: 'tomorrow' }, 'previous_expires_at'],
    [{ expires_at: '2030-01-01T00:00:00Z' }, 'expires_at'],
  ])('a bad body %j is 400 and changes nothing', async (body, words) => {
    const svc = await createService();
    const res = await rotate(svc.id, body).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(words);
    expect(await basic(svc.client_id, svc.client_secret)).toBe(200);
  });

  it('is recorded in the audit trail without the secret', async () => {
    const svc = await createService();
    const res = await rotate(svc.id).expect(201);
    const audit = await request(broker.url)
      .get('/admin/audit')
      .query({ action: 'service.client_secret_rotate' })
      .set(admin())
      .expect(200);
    const mine = (audit.body.data as { actor_id: string; detail: { service_id: string } }[])
      .filter((e) => e.detail.service_id === svc.id)
      .map((e) => ({ actor_id: e.actor_id, detail: e.detail }));
    expect(mine).toStrictEqual([
      {
        actor_id: 'admin',
        detail: { service_id: svc.id, previous_expires_at: res.body.previous_expires_at },
      },
    ]);
    expect(JSON.stringify(audit.body)).not.toContain(res.body.client_secret);
  });
});

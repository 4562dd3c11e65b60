import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { createRawClient } from './http-client.js';

/** Bugs the fuzzer found, each pinned by the request that exposed it. */
describe('fuzzer regressions', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({ jobs: () => [] });
  });
  afterAll(() => broker.close());

  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  const contractError = { error: 'invalid_request', error_description: expect.any(String) };

  it('a NUL byte in a path id was a 500 (Postgres refuses it): now 400', async () => {
    const res = await request(broker.url).delete('/admin/services/svc_%00').set(admin());
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(contractError);
  });

  it('a NUL byte in a JSON body field was a 500: now 400', async () => {
    const res = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({ name: 'a\u0000b', allowed_providers: [] });
    expect(res.status).toBe(400);
    expect(res.body).toStrictEqual(contractError);
  });

  it.each(['%', '%zz', '%c0%af'])(
    'a path param that does not decode (%s) was a 500: now 400',
    async (bad) => {
      const res = await request(broker.url).get(`/admin/providers/${bad}`).set(admin());
      expect(res.status).toBe(400);
      expect(res.body).toStrictEqual(contractError);
    },
  );

  it('headers over the size limit got a bare 431 without a body: now the JSON error', async () => {
    const client = createRawClient(broker.url, 1);
    const huge = { method: 'GET', path: `/healthz?${'a'.repeat(20_000)}`, headers: {} };
    const res = await client.send(huge);
    const head = await client.send({ ...huge, method: 'HEAD' });
    client.close();
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toStrictEqual(contractError);
    expect(head.status).toBe(431);
    expect(head.body).toBe('');
  });
});

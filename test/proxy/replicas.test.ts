import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createService } from '../connect/helpers.js';
import { json, startFakeApi, type FakeApi } from './support.js';
import { bearer, registerProvider } from '../support/factories.js';

/** API.md: a spent quota holds on every replica within 1 s. */
const PROMISE_MS = 1_000;

describe('rate-limit memory across two replicas on one database', () => {
  let db: TestDatabase;
  let a: TestBroker;
  let b: TestBroker;
  let api: FakeApi;
  let svc: { id: string; apiKey: string };

  const waitFresh = async (broker: TestBroker) => {
    for (let i = 0; i < 100 && !broker.container.changes.fresh(); i++) await sleep(50);
    expect(broker.container.changes.fresh()).toBe(true);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), PUBLIC_URL: 'http://broker.test' };
    a = await startTestBroker({ db, env });
    b = await startTestBroker({ db, env });
    api = await startFakeApi();
    await registerProvider(a, { key: 'keys', auth_mode: 'api_key', api_base_url: api.url });
    svc = await createService(a, ['keys'], 'replicas');
    await waitFresh(a);
    await waitFresh(b);
  });
  afterAll(async () => {
    await api.close();
    await a.close();
    await b.close();
    await db.drop();
  });

  const connect = async (subject: string) =>
    (
      await request(a.url)
        .post('/v1/connections')
        .set(bearer(svc.apiKey))
        .send({ type: 'api_key', provider: 'keys', subject, api_key: `key-${subject}` })
        .expect(201)
    ).body.id as string;

  it('a 429 seen by one replica stops the other from calling within 1 s', async () => {
    const id = await connect('alice');
    const path = `/v1/connections/${id}/proxy/items`;
    // The other replica has called before: its read cache holds the connection.
    api.script([json(200, { ok: true })]);
    await request(b.url).get(path).set(bearer(svc.apiKey)).expect(200);
    api.script([json(429, { quota: 'spent' }, { 'retry-after': '120' })]);
    await request(a.url).post(path).set(bearer(svc.apiKey)).send({}).expect(429);
    const seenAt = Date.now();
    api.script([json(200, { ok: true })]);
    let answer = await request(b.url).get(path).set(bearer(svc.apiKey));
    while (
      answer.headers['broker-error'] !== 'rate_limited' &&
      Date.now() - seenAt < 3 * PROMISE_MS
    ) {
      await sleep(50);
      answer = await request(b.url).get(path).set(bearer(svc.apiKey));
    }
    expect(Date.now() - seenAt).toBeLessThan(PROMISE_MS);
    expect([answer.status, answer.body.error, answer.headers['broker-attempts']]).toEqual([
      429,
      'rate_limited',
      '0',
    ]);
    expect(Number(answer.headers['retry-after'])).toBeGreaterThan(100);
    // Only calls made before the news arrived reached the provider; none after.
    const reached = api.received.length;
    await request(b.url).get(path).set(bearer(svc.apiKey)).expect(429);
    expect(api.received.length).toBe(reached);
  });

  it('a replica that lost its change feed asks the table instead of calling', async () => {
    const id = await connect('bob');
    const path = `/v1/connections/${id}/proxy/items`;
    await b.container.changes.stop();
    try {
      api.script([json(429, {}, { 'retry-after': '60' })]);
      await request(a.url).get(path).set(bearer(svc.apiKey)).expect(429);
      await sleep(200);
      api.script([json(200, { ok: true })]);
      const res = await request(b.url).get(path).set(bearer(svc.apiKey)).expect(429);
      expect(res.headers['broker-error']).toBe('rate_limited');
      expect(api.received).toHaveLength(0);
    } finally {
      b.container.changes.start();
    }
  });
});

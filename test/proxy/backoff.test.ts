import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { proxyRequests } from '../../src/proxy/metrics.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { createService } from '../connect/helpers.js';
import { json, startFakeApi, type FakeApi } from './support.js';
import { bearer, registerProvider } from '../support/factories.js';

/**
 * Longer than the suite's timeout and within the call's deadline: a broker that sat out
 * the provider's Retry-After could not pass these tests at all.
 */
const RETRY_AFTER_SECONDS = 90;
const DEADLINE_MS = 120_000;

/** How many proxied calls of `provider` ended with the given status class. */
async function counted(provider: string, statusClass: string): Promise<number> {
  const { values } = await proxyRequests.get();
  return values
    .filter((v) => v.labels.provider === provider && v.labels.status_class === statusClass)
    .reduce((sum, v) => sum + v.value, 0);
}

describe('proxy back-off waits', () => {
  let broker: TestBroker;
  let api: FakeApi;
  let svc: { id: string; apiKey: string };
  let connectionId: string;

  beforeAll(async () => {
    broker = await startTestBroker({ env: { PROXY_TIMEOUT_MS: String(DEADLINE_MS) } });
    api = await startFakeApi();
    await registerProvider(broker, { key: 'waits', auth_mode: 'api_key', api_base_url: api.url });
    svc = await createService(broker, ['waits'], 'backoff');
    connectionId = (
      await request(broker.url)
        .post('/v1/connections')
        .set(bearer(svc.apiKey))
        .send({ type: 'api_key', provider: 'waits', subject: 'alice', api_key: 'key-of-alice' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await api.close();
    await broker.close();
  });

  it('a caller that disconnects during a back-off wait ends the wait: counted as caller_gone, nothing sent again', async () => {
    api.script([
      json(503, { busy: true }, { 'retry-after': String(RETRY_AFTER_SECONDS) }),
      json(200, { ok: 1 }),
    ]);
    const url = new URL(broker.url);
    const req = httpRequest({
      host: url.hostname,
      port: url.port,
      path: `/v1/connections/${connectionId}/proxy/thing`,
      headers: { authorization: `Bearer ${svc.apiKey}` },
    });
    req.on('error', () => undefined);
    req.end();
    while (api.received.length < 1) await new Promise((ok) => setTimeout(ok, 10));
    req.destroy();

    while ((await counted('waits', 'caller_gone')) < 1) {
      await new Promise((ok) => setTimeout(ok, 10));
    }
    expect(api.received).toHaveLength(1);
    expect(await counted('waits', '4xx')).toBe(0);
    expect(await counted('waits', '5xx')).toBe(0);
    // The wait is over, not merely counted: the next call goes out at once and is answered.
    const next = await request(broker.url)
      .get(`/v1/connections/${connectionId}/proxy/thing`)
      .set(bearer(svc.apiKey))
      .expect(200);
    expect([next.body, next.headers['broker-attempts']]).toEqual([{ ok: 1 }, '1']);
    expect(api.received).toHaveLength(2);
  });
});

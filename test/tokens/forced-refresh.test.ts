import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from './support.js';

describe('forced refresh was unthrottled (issue 19, item 6)', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let service: CreatedService;
  let providerKey: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    broker = await startTestBroker({
      clock,
      jobs: () => [],
      env: { FORCED_REFRESH_INTERVAL_SECONDS: '10' },
    });
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    service = await createService(broker, [providerKey]);
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it('allows one forced refresh per connection per 10 s, then answers 429 with Retry-After', async () => {
    const issued = await upstream.issueTokens('broker', 'forced');
    const { id } = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const force = () =>
      request(broker.url).post(`/v1/connections/${id}/refresh`).set(bearer(service.api_key));
    const before = upstream.refreshGrants();
    expect((await force()).status).toBe(200);
    const burst = await Promise.all(Array.from({ length: 5 }, force));
    for (const res of burst) {
      expect(res.status).toBe(429);
      expect(res.body).toStrictEqual({
        error: 'rate_limited',
        error_description: expect.any(String),
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(10);
    }
    expect(upstream.refreshGrants() - before).toBe(1);
    // Plain reads are not throttled meanwhile.
    await request(broker.url)
      .get(`/v1/connections/${id}/token`)
      .set(bearer(service.api_key))
      .expect(200);

    offsetMs += 10_000;
    expect((await force()).status).toBe(200);
    expect(upstream.refreshGrants() - before).toBe(2);
  });

  it('answers 404, not 429, for a connection outside the caller policy', async () => {
    await request(broker.url)
      .post('/v1/connections/conn_unknown/refresh')
      .set(bearer(service.api_key))
      .expect(404);
  });
});

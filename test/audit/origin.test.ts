import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer } from '../support/factories.js';

/**
 * Issue 19 item 5: every audit entry a request causes carries its request id and the client
 * IP behind `TRUST_PROXY` hops — revocations (service, admin, bulk), connections made
 * without a browser, provider-webhook refusals — not only token reads.
 */
describe('audit entries carry the request id and client IP of the request behind them', () => {
  let broker: TestBroker;
  let apiKey: string;
  let n = 0;
  /** Headers of a request from 203.0.113.7 through one reverse proxy, with its own id. */
  const from = () => ({
    'X-Request-Id': `req-origin-${++n}`,
    'X-Forwarded-For': '198.51.100.1, 203.0.113.7',
  });

  beforeAll(async () => {
    // No background jobs: every entry below comes from a request.
    broker = await startTestBroker({ jobs: () => [], env: { TRUST_PROXY: '1' } });
    await request(broker.url)
      .post('/admin/providers')
      .set(bearer(broker.adminToken))
      .set(from())
      .send({ key: 'notion', template: 'notion', client_id: 'n', client_secret: 's' })
      .expect(201);
    const service = await request(broker.url)
      .post('/admin/services')
      .set(bearer(broker.adminToken))
      .set(from())
      .send({ name: 'svc', allowed_providers: ['notion'] })
      .expect(201);
    apiKey = service.body.api_key as string;
  });
  afterAll(() => broker.close());

  const connect = async (subject: string) =>
    (
      await request(broker.url)
        .post('/v1/connections')
        .set(bearer(apiKey))
        .set(from())
        .send({ provider: 'notion', subject, type: 'api_key', api_key: `secret-${subject}` })
        .expect(201)
    ).body.id as string;

  it('connection.create, token.read, connection.revoke (service, admin, bulk) and provider_webhook.reject', async () => {
    const [a, b] = [await connect('alice'), await connect('bob')];
    await connect('carol');
    await request(broker.url)
      .get(`/v1/connections/${a}/token`)
      .set(bearer(apiKey))
      .set(from())
      .expect(200);
    await request(broker.url)
      .delete(`/v1/connections/${a}`)
      .set(bearer(apiKey))
      .set(from())
      .expect(204);
    await request(broker.url)
      .delete(`/admin/connections/${b}`)
      .set(bearer(broker.adminToken))
      .set(from())
      .expect(204);
    await request(broker.url)
      .post('/admin/connections/revoke')
      .set(bearer(broker.adminToken))
      .set(from())
      .send({ subject: 'carol' })
      .expect(200);
    await request(broker.url).post('/webhooks/providers/nosuch').set(from()).send({}).expect(404);
    await broker.container.audit.flush();

    const rows = await broker.db.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    const actions = rows.map((r) => r.action);
    for (const action of [
      'provider.create',
      'service.create',
      'connection.create',
      'token.read',
      'connection.revoke',
      'provider_webhook.reject',
    ]) {
      expect(actions).toContain(action);
    }
    expect(actions.filter((a) => a === 'connection.revoke')).toHaveLength(3);
    for (const row of rows) {
      expect({ action: row.action, requestId: row.requestId, clientIp: row.clientIp }).toEqual({
        action: row.action,
        requestId: expect.stringMatching(/^req-origin-\d+$/),
        clientIp: '203.0.113.7',
      });
    }
  });
});

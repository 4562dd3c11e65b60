import request from 'supertest';
import {
  BrokerApiError,
  createTokenBrokerClient,
} from '../../examples/node/token-broker-client.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

describe('examples/node client', () => {
  let broker: TestBroker;
  let apiKey: string;
  beforeAll(async () => {
    broker = await startTestBroker();
    const created = await request(broker.url)
      .post('/admin/services')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .send({ name: 'example', allowed_providers: [], allowed_return_to: [] })
      .expect(201);
    apiKey = created.body.api_key as string;
  });
  afterAll(() => broker.close());

  it('turns a broker error into a typed BrokerApiError with the request id', async () => {
    const client = createTokenBrokerClient({ baseUrl: `${broker.url}/`, apiKey });
    const error = (await client.getConnection('conn_missing').catch((e: unknown) => e)) as
      BrokerApiError | undefined;
    expect(error).toBeInstanceOf(BrokerApiError);
    expect({ status: error?.status, code: error?.code }).toStrictEqual({
      status: 404,
      code: 'not_found',
    });
    expect(error?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends the credential and min_ttl, and surfaces Broker-Refresh-Error and Retry-After', async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const answers = [
      new Response(JSON.stringify({ access_token: 'at', connection_id: 'conn_1' }), {
        headers: { 'broker-refresh-error': 'upstream_unavailable' },
      }),
      new Response(
        JSON.stringify({ error: 'upstream_unavailable', error_description: 'provider down' }),
        { status: 503, headers: { 'retry-after': '30' } },
      ),
    ];
    const client = createTokenBrokerClient({
      baseUrl: 'http://broker.invalid',
      apiKey: 'key',
      fetch: (input, init) => {
        seen.push({
          url: input instanceof Request ? input.url : input.toString(),
          auth: new Headers(init?.headers).get('authorization'),
        });
        return Promise.resolve(answers.shift()!);
      },
    });
    const token = await client.getToken('conn/1', { minTtl: 120 });
    expect(token.refresh_error).toBe('upstream_unavailable');
    await expect(client.refresh('conn_1')).rejects.toMatchObject({
      status: 503,
      code: 'upstream_unavailable',
      retryAfter: 30,
    });
    expect(seen).toStrictEqual([
      {
        url: 'http://broker.invalid/v1/connections/conn%2F1/token?min_ttl=120',
        auth: 'Bearer key',
      },
      { url: 'http://broker.invalid/v1/connections/conn_1/refresh', auth: 'Bearer key' },
    ]);
  });
});

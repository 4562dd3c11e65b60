import request from 'supertest';
import {
  createTokenBrokerClient,
  InvalidTokenError,
  RateLimitedError,
  ReauthorizationRequiredError,
  type TokenBrokerClientOptions,
} from '../../clients/typescript/src/index.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, closedPortUrl, registerProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../connect/helpers.js';
import { brokerClient, buildProviderAt } from '../tokens/support.js';
import { json, startFakeApi, type FakeApi } from '../proxy/support.js';

/**
 * The client's helpers (issue 22) from source, against a live broker: what the
 * pack-and-install test (typescript-client.test.ts) leaves out — the cache's clock,
 * tokens without expiry, a credential that is a function, and the errors' extra fields.
 */
describe('the TypeScript client helpers', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let api: FakeApi;
  let svc: { id: string; apiKey: string };
  beforeAll(async () => {
    broker = await startTestBroker();
    upstream = await startUpstream({
      clients: [brokerClient],
    });
    api = await startFakeApi();
    const oidc = {
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access', 'api'],
      api_base_url: api.url,
    };
    await registerProvider(broker, { key: 'idp', ...oidc });
    await registerProvider(broker, { key: 'keys', auth_mode: 'api_key', api_base_url: api.url });
    svc = await createService(broker, ['idp', 'keys'], 'helpers');
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
    await broker.close();
  });

  /** A client counting the requests it makes, on a clock the test moves. */
  function client(extra: Partial<TokenBrokerClientOptions> = {}) {
    const requests: string[] = [];
    const clock = { now: Date.now() };
    const made = createTokenBrokerClient({
      baseUrl: broker.url,
      credential: svc.apiKey,
      now: () => clock.now,
      fetch: (req) => {
        requests.push(new URL(req.url).pathname + new URL(req.url).search);
        return fetch(req);
      },
      ...extra,
    });
    return { client: made, requests, clock };
  }

  /** A connection of the service with live upstream tokens, expiring at `expiresAt`. */
  async function connection(
    expiresAt: Date,
    opts: { refreshToken?: string; providerKey?: string; serviceId?: string } = {},
  ) {
    const tokens = await upstream.issueTokens('broker', `user-${Math.random()}`);
    return buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: opts.providerKey ?? 'idp',
      serviceId: opts.serviceId ?? svc.id,
      accessToken: tokens.access_token,
      refreshToken: opts.refreshToken ?? tokens.refresh_token,
      expiresAt,
    });
  }

  it('keeps a token until expires_at - minTtl, and asks again for a longer minTtl', async () => {
    const { id } = await connection(new Date(Date.now() + 3600_000));
    const { client: c, requests, clock } = client();
    const first = await c.getToken(id, { minTtl: 60 });
    const expiresAt = Date.parse(first.expires_at ?? '');
    clock.now = expiresAt - 61_000;
    expect((await c.getToken(id, { minTtl: 60 })).access_token).toBe(first.access_token);
    expect(requests).toHaveLength(1);
    clock.now = expiresAt - 59_000;
    await c.getToken(id, { minTtl: 60 });
    expect(requests).toHaveLength(2);
    // Kept for 60 s more, asked for 600: the broker is asked.
    await c.getToken(id, { minTtl: 600 });
    expect(requests).toStrictEqual([
      `/v1/connections/${id}/token?min_ttl=60`,
      `/v1/connections/${id}/token?min_ttl=60`,
      `/v1/connections/${id}/token?min_ttl=600`,
    ]);
  });

  it('does not keep a token without expires_at (an API key connection)', async () => {
    const created = await request(broker.url)
      .post('/v1/connections')
      .set(bearer(svc.apiKey))
      .send({ type: 'api_key', provider: 'keys', subject: 'alice', api_key: 'key-of-alice' })
      .expect(201);
    const { client: c, requests } = client();
    const tokens = [await c.getToken(created.body.id), await c.getToken(created.body.id)];
    expect(tokens.map((t) => [t.access_token, t.expires_at])).toStrictEqual([
      ['key-of-alice', null],
      ['key-of-alice', null],
    ]);
    expect(requests).toHaveLength(2);
  });

  it('asks a credential function before every request (a broker JWT from /oauth/token)', async () => {
    const { body: service } = await request(broker.url)
      .post('/admin/services')
      .set(bearer(broker.adminToken))
      .send({ name: 'jwt-user', allowed_providers: ['idp'], connection_access: 'provider' })
      .expect(201);
    let asked = 0;
    const { client: c } = client({
      credential: async () => {
        asked++;
        const res = await request(broker.url)
          .post('/oauth/token')
          .auth(service.client_id, service.client_secret)
          .type('form')
          .send({ grant_type: 'client_credentials' })
          .expect(200);
        return res.body.access_token as string;
      },
    });
    const { id } = await connection(new Date(Date.now() + 3600_000));
    await c.getToken(id);
    api.script([json(200, { ok: true })]);
    expect((await c.proxy(id, 'thing')).status).toBe(200);
    expect(asked).toBe(2);
  });

  it('throws InvalidTokenError for a wrong credential, from getToken and the proxy alike', async () => {
    const { id } = await connection(new Date(Date.now() + 3600_000));
    const { client: c } = client({ credential: 'tbk_wrong' });
    for (const call of [() => c.getToken(id), () => c.proxy(id, 'thing')]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidTokenError);
      expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    }
  });

  it('ReauthorizationRequiredError names the connection to reconnect (the provider refused the refresh token)', async () => {
    const { id } = await connection(new Date(Date.now() - 60_000), {
      refreshToken: 'not-a-refresh-token',
    });
    const error = await client()
      .client.getToken(id)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReauthorizationRequiredError);
    expect(error).toMatchObject({
      code: 'reauthorization_required',
      status: 409,
      connectionId: id,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  it('passes the provider’s own 429 through, then throws the broker’s RateLimitedError with retryAfter', async () => {
    const { id } = await connection(new Date(Date.now() + 3600_000));
    api.script([json(429, { slow: 'down' }, { 'retry-after': '120' })]);
    const { client: c } = client();
    const upstreamAnswer = await c.proxy(id, 'thing');
    expect([upstreamAnswer.status, await upstreamAnswer.json()]).toStrictEqual([
      429,
      { slow: 'down' },
    ]);
    const error = await c.proxy(id, 'thing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429 });
    expect((error as RateLimitedError).retryAfter).toBeGreaterThan(100);
    expect(api.received).toHaveLength(1);
  });

  it('reports Broker-Refresh-Error as refreshError when a still-valid token could not be refreshed', async () => {
    // A provider whose token endpoint nobody answers: the refresh fails transiently.
    const down = await buildProviderAt(broker, upstream, await closedPortUrl());
    const owner = await createService(broker, [down.key], 'down');
    const { id } = await connection(new Date(Date.now() + 100_000), {
      providerKey: down.key,
      serviceId: owner.id,
    });
    const { client: c } = client({ credential: owner.apiKey });
    const token = await c.getToken(id, { minTtl: 120 });
    expect(token.refreshError).toBe('upstream_unavailable');
  });
});

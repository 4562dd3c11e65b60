import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider, closedPortUrl } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, buildProviderAt, createService, type CreatedService } from './support.js';
import { okTokens, startFakeProvider, status } from '../support/fake-provider.js';

const ACCESS_TOKEN_TTL = 30;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);

describe('GET /v1/connections/:id/token and POST …/refresh', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let service: CreatedService;
  const seenRefreshTokens: string[] = [];

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: ACCESS_TOKEN_TTL,
      rotateRefreshTokens: true,
    });
    broker = await startTestBroker();
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    service = await createService(broker, [providerKey]);
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  /** A connection holding a real upstream grant; its access token "expires" at `expiresAt`. */
  async function connection(expiresAt: Date | null, key = providerKey) {
    const issued = await upstream.issueTokens('broker', `user-${Math.random()}`);
    seenRefreshTokens.push(issued.refresh_token);
    const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: key,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt,
    });
    return { id: row.id, issued };
  }

  const token = (id: string, minTtl?: number) =>
    request(broker.url)
      .get(`/v1/connections/${id}/token${minTtl === undefined ? '' : `?min_ttl=${minTtl}`}`)
      .set(bearer(service.api_key));

  const storedTokens = async (id: string) => {
    const row = await broker.db.prisma.tokenSet.findUniqueOrThrow({ where: { connectionId: id } });
    return { version: row.version, ...openTokenSet(broker.container.keyring, id, row) };
  };

  it('is 401 without credentials', async () => {
    const { id } = await connection(inSeconds(3600));
    for (const res of [
      await request(broker.url).get(`/v1/connections/${id}/token`),
      await request(broker.url).post(`/v1/connections/${id}/refresh`),
      await request(broker.url).get(`/v1/connections/${id}/token`).set(bearer('tbk_nope')),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('returns a token valid for min_ttl as it is, without asking the provider', async () => {
    const expiresAt = inSeconds(600);
    const { id, issued } = await connection(expiresAt);
    const before = upstream.refreshGrants();
    const res = await token(id).expect(200);
    expect(res.body).toStrictEqual({
      access_token: issued.access_token,
      token_type: 'Bearer',
      expires_at: expiresAt.toISOString(),
      scopes: ['openid', 'offline_access', 'api'],
      connection_id: id,
      provider: providerKey,
    });
    expect(res.headers['cache-control']).toBe('no-store');
    await token(id, 599).expect(200);
    expect(upstream.refreshGrants()).toBe(before);
  });

  it('refreshes first when the token expires within min_ttl, storing the rotated refresh token', async () => {
    const { id, issued } = await connection(inSeconds(20));
    const before = upstream.refreshGrants();
    const started = Date.now();
    const res = await token(id, 60).expect(200);
    expect(upstream.refreshGrants()).toBe(before + 1);
    expect(res.body.access_token).not.toBe(issued.access_token);
    expect(res.body.token_type).toBe('Bearer');
    expect(JSON.stringify(res.body)).not.toContain(issued.refresh_token);
    const expiresAt = Date.parse(res.body.expires_at as string);
    // Never later than the provider's expiry, at most 60 s early.
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + ACCESS_TOKEN_TTL * 1000);
    expect(expiresAt).toBeGreaterThanOrEqual(started + (ACCESS_TOKEN_TTL - 60) * 1000);

    const stored = await storedTokens(id);
    expect(stored.version).toBe(2);
    expect(stored.accessToken).toBe(res.body.access_token);
    expect(stored.refreshToken).toBeDefined();
    expect(stored.refreshToken).not.toBe(issued.refresh_token);
    seenRefreshTokens.push(stored.refreshToken!);
    const conn = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(conn).toMatchObject({ refreshFailures: 0, lastError: null, status: 'active' });
    expect(conn.lastRefreshedAt).not.toBeNull();
    expect(conn.nextRefreshAt!.getTime()).toBeLessThan(expiresAt);
    const events = await broker.db.prisma.webhookEvent.findMany({
      where: { type: 'connection.refreshed' },
    });
    expect(
      events.map((e) => (e.payload as { data: { connection_id: string } }).data.connection_id),
    ).toContain(id);

    // The fresh token satisfies the same min_ttl: no second refresh.
    expect((await token(id, 10).expect(200)).body.access_token).toBe(res.body.access_token);
    expect(upstream.refreshGrants()).toBe(before + 1);
  });

  it('a min_ttl beyond the provider token lifetime does not refresh on every read', async () => {
    const { id } = await connection(inSeconds(5));
    const before = upstream.refreshGrants();
    const first = await token(id, 3600).expect(200);
    expect(upstream.refreshGrants()).toBe(before + 1);
    const second = await token(id, 3600).expect(200);
    expect(second.body.access_token).toBe(first.body.access_token);
    expect(upstream.refreshGrants()).toBe(before + 1);
    seenRefreshTokens.push((await storedTokens(id)).refreshToken!);
  });

  it('POST …/refresh forces a refresh of a still-valid token', async () => {
    const { id, issued } = await connection(inSeconds(3600));
    const before = upstream.refreshGrants();
    const res = await request(broker.url)
      .post(`/v1/connections/${id}/refresh`)
      .set(bearer(service.api_key))
      .expect(200);
    expect(res.body.access_token).not.toBe(issued.access_token);
    expect(upstream.refreshGrants()).toBe(before + 1);
    seenRefreshTokens.push((await storedTokens(id)).refreshToken!);
  });

  it('treats a token without a known expiry as non-expiring unless a refresh is forced', async () => {
    const { id, issued } = await connection(null);
    const before = upstream.refreshGrants();
    const res = await token(id, 3600).expect(200);
    expect(res.body).toMatchObject({ access_token: issued.access_token, expires_at: null });
    expect(upstream.refreshGrants()).toBe(before);
  });

  it('permanent failure (invalid_grant): 409 and the connection needs reauthorization', async () => {
    // A refresh token the provider does not know (revoked, or rotated out elsewhere).
    const { id } = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey,
      accessToken: 'at-unknown',
      refreshToken: 'rt-the-provider-refuses',
      expiresAt: inSeconds(10),
    });
    const res = await token(id, 60).expect(409);
    expect(res.body).toStrictEqual({
      error: 'reauthorization_required',
      error_description: expect.any(String),
      connection_id: id,
    });
    const conn = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(conn).toMatchObject({ status: 'reauthorization_required', lastError: 'invalid_grant' });
    const event = await broker.db.prisma.webhookEvent.findFirst({
      where: { type: 'connection.reauthorization_required' },
      orderBy: { createdAt: 'desc' },
    });
    expect((event?.payload as { data: unknown }).data).toStrictEqual({
      connection_id: id,
      service_id: conn.serviceId,
      provider: providerKey,
      subject: conn.subject,
      status: 'reauthorization_required',
      error: 'invalid_grant',
    });
    // Even a still-valid token is no longer served, and no further provider call is made.
    const grants = upstream.grantErrors.length;
    await token(id, 0).expect(409);
    await request(broker.url)
      .post(`/v1/connections/${id}/refresh`)
      .set(bearer(service.api_key))
      .expect(409);
    expect(upstream.grantErrors.length).toBe(grants);
  });

  it('a revoke during an in-flight refresh waits for it, then erases the new tokens', async () => {
    // A provider that takes 600 ms to answer the refresh grant.
    const slow = await startFakeProvider([
      (req, body, res) => void setTimeout(() => okTokens(60)(req, body, res), 600),
    ]);
    try {
      const key = (await buildProviderAt(broker, upstream, slow.metadata.token_endpoint)).key;
      const svc = await createService(broker, [key]);
      const { id } = await connection(inSeconds(3600), key);
      const refreshing = request(broker.url)
        .post(`/v1/connections/${id}/refresh`)
        .set(bearer(svc.api_key))
        .then((r) => r);
      // Revoked once the refresh is at the provider (a fixed sleep loses the race when busy).
      while (slow.requests.length === 0) await sleep(20);
      await request(broker.url)
        .delete(`/admin/connections/${id}`)
        .set(bearer(broker.adminToken))
        .expect(204);
      expect((await refreshing).status).toBe(200);
      expect(slow.requests).toHaveLength(1);
      expect(
        await broker.db.prisma.tokenSet.findUnique({ where: { connectionId: id } }),
      ).toBeNull();
      const conn = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
      expect(conn.status).toBe('revoked');
      const after = await request(broker.url)
        .get(`/v1/connections/${id}/token`)
        .set(bearer(svc.api_key))
        .expect(410);
      expect(after.body.error).toBe('revoked');
    } finally {
      await slow.close();
    }
  });

  it('a revoked connection is 410 on read and refresh', async () => {
    const { id } = await connection(inSeconds(3600));
    await broker.db.prisma.connection.update({ where: { id }, data: { status: 'revoked' } });
    expect((await token(id).expect(410)).body.error).toBe('revoked');
    await request(broker.url)
      .post(`/v1/connections/${id}/refresh`)
      .set(bearer(service.api_key))
      .expect(410);
  });

  describe('transient failure (provider down)', () => {
    let down: Awaited<ReturnType<typeof startFakeProvider>>;
    let downKey: string;
    let downService: CreatedService;
    beforeAll(async () => {
      // A provider that is down: 503 with Retry-After, a fault oidc-provider cannot produce.
      down = await startFakeProvider([status(503, { 'retry-after': '7' })]);
      downKey = (await buildProviderAt(broker, upstream, down.metadata.token_endpoint)).key;
      downService = await createService(broker, [downKey]);
    });
    afterAll(() => down.close());

    const read = (id: string, minTtl: number) =>
      request(broker.url)
        .get(`/v1/connections/${id}/token?min_ttl=${minTtl}`)
        .set(bearer(downService.api_key));

    it('serves a still-valid token with Broker-Refresh-Error and records the failure', async () => {
      const { id, issued } = await connection(inSeconds(30), downKey);
      const res = await read(id, 60).expect(200);
      expect(res.headers['broker-refresh-error']).toBe('upstream_unavailable');
      expect(res.body.access_token).toBe(issued.access_token);
      const calls = down.requests.length;
      expect(calls).toBeGreaterThanOrEqual(1);
      // Within the provider's Retry-After this replica does not ask again.
      const again = await read(id, 60).expect(200);
      expect(again.headers['broker-refresh-error']).toBe('upstream_unavailable');
      expect(down.requests.length).toBe(calls);
      const conn = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
      expect(conn).toMatchObject({ status: 'active', refreshFailures: 1, lastError: 'http_503' });
      expect(conn.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
      const event = await broker.db.prisma.webhookEvent.findFirst({
        where: { type: 'connection.refresh_failed' },
        orderBy: { createdAt: 'desc' },
      });
      expect((event?.payload as { data: unknown }).data).toMatchObject({
        connection_id: id,
        error: 'http_503',
      });
    });

    it('answers 503 with the provider Retry-After when the token has expired', async () => {
      const { id } = await connection(inSeconds(-5), downKey);
      const res = await read(id, 60).expect(503);
      expect(res.body.error).toBe('upstream_unavailable');
      expect(res.headers['retry-after']).toBe('7');
      expect((await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } })).status).toBe(
        'active',
      );
    });

    it('answers 503 with a default Retry-After when the provider does not answer at all', async () => {
      const closedKey = (await buildProviderAt(broker, upstream, await closedPortUrl())).key;
      const svc = await createService(broker, [closedKey]);
      const { id } = await connection(inSeconds(-5), closedKey);
      const res = await request(broker.url)
        .get(`/v1/connections/${id}/token`)
        .set(bearer(svc.api_key))
        .expect(503);
      expect(res.body.error).toBe('upstream_unavailable');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      const conn = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
      // Transient: the connection stays active. (Under Jest's VM realm openid-client wraps the
      // fetch TypeError, so the class reads `bad_response` here and `network` in production.)
      expect(conn).toMatchObject({ status: 'active', refreshFailures: 1 });
      expect(conn.lastError).toMatch(/^(network|bad_response)$/);
    });
  });

  it('audits every read and refresh and counts them in metrics', async () => {
    const { id } = await connection(inSeconds(5));
    await token(id, 60).expect(200);
    await broker.container.audit.flush();
    const rows = await broker.db.prisma.auditEvent.findMany({ where: { connectionId: id } });
    expect(rows.map((r) => [r.action, r.actorId, r.outcome]).sort()).toEqual(
      [
        ['connection.refresh', service.id, 'success'],
        ['token.read', service.id, 'success'],
      ].sort(),
    );
    seenRefreshTokens.push((await storedTokens(id)).refreshToken!);
    const metrics = (await request(broker.url).get('/metrics').expect(200)).text;
    expect(metrics).toContain(
      `token_broker_token_reads_total{provider="${providerKey}",outcome="success"}`,
    );
    expect(metrics).toContain(
      `token_broker_refreshes_total{provider="${providerKey}",outcome="success"}`,
    );
    expect(metrics).toContain('token_broker_refresh_duration_seconds_bucket');
    expect(metrics).toContain('token_broker_upstream_errors_total{provider=');
  });

  it('never writes a refresh token to the logs', () => {
    expect(seenRefreshTokens.length).toBeGreaterThan(3);
    for (const rt of seenRefreshTokens) expect(broker.logs.text).not.toContain(rt);
  });
});

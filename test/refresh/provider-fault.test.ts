import request from 'supertest';
import { claimDue } from '../../src/refresh/claims.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';

/**
 * Issue 19, item 3: the admin rotated the client secret at the provider before updating
 * the broker. The provider answers `invalid_client` to every refresh; before the fix each
 * connection refreshed in that window went to `reauthorization_required`.
 */
describe('a provider that refuses the broker’s client is misconfigured, not its users', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let service: CreatedService;
  let providerKey: string;
  const expired = () => new Date(Date.now() - 60_000);

  const tokenOf = (id: string) =>
    request(broker.url).get(`/v1/connections/${id}/token`).set(bearer(service.api_key));
  const adminProvider = async () =>
    (
      await request(broker.url)
        .get(`/admin/providers/${providerKey}`)
        .set(bearer(broker.adminToken))
        .expect(200)
    ).body as { status: string; status_reason: string | null; status_since: string | null };
  const connectionWithExpiredToken = async (subject: string) => {
    const issued = await upstream.issueTokens('broker', subject);
    return buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey,
      subject,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: expired(),
    });
  };

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient] });
    broker = await startTestBroker({ jobs: () => [] });
    providerKey = (
      await buildProvider(broker.db.prisma, broker.container.keyring, upstream, {
        clientSecret: 'the-secret-before-rotation',
      })
    ).key;
    service = await createService(broker, [providerKey]);
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it('keeps connections active, marks the provider, holds refreshes back, and a PUT resumes them', async () => {
    const first = await connectionWithExpiredToken('ada');
    const second = await connectionWithExpiredToken('grace');

    const refused = await tokenOf(first.id).expect(503);
    expect(refused.body.error).toBe('upstream_unavailable');
    expect(upstream.grantErrors).toContainEqual({
      grant_type: 'refresh_token',
      error: 'invalid_client',
    });
    const connection = await request(broker.url)
      .get(`/v1/connections/${first.id}`)
      .set(bearer(service.api_key))
      .expect(200);
    expect(connection.body).toMatchObject({ status: 'active', last_error: 'invalid_client' });
    expect(await adminProvider()).toMatchObject({
      status: 'misconfigured',
      status_reason: 'invalid_client',
      status_since: expect.any(String),
    });
    const events = await broker.db.prisma.webhookEvent.findMany({
      where: { type: 'provider.misconfigured' },
    });
    expect(events.map((e) => (e.payload as { data: unknown }).data)).toStrictEqual([
      { provider: providerKey, status: 'misconfigured', error: 'invalid_client' },
    ]);
    const metrics = (await request(broker.url).get('/metrics').expect(200)).text;
    expect(metrics).toContain(
      `token_broker_provider_faults_total{provider="${providerKey}",class="invalid_client"} 1`,
    );

    // Until the next probe, neither a read nor the sweep asks the provider again.
    const callsBefore = upstream.grantErrors.length;
    await tokenOf(second.id).expect(503);
    expect(upstream.grantErrors.length).toBe(callsBefore);
    const now = new Date();
    const claimed = await claimDue(
      broker.container.db.pool,
      'test-replica',
      now,
      new Date(now.getTime() + 60_000),
      10,
    );
    expect(claimed.map((c) => c.id)).not.toContain(second.id);
    expect(
      (await broker.db.prisma.connection.findMany({ where: { providerKey } })).map((c) => c.status),
    ).toStrictEqual(['active', 'active']);

    await request(broker.url)
      .put(`/admin/providers/${providerKey}`)
      .set(bearer(broker.adminToken))
      .send({
        key: providerKey,
        issuer: upstream.issuer,
        client_id: 'broker',
        client_secret: 'broker-secret',
        scopes: ['openid', 'offline_access', 'api'],
      })
      .expect(200);
    expect(await adminProvider()).toMatchObject({ status: 'active', status_reason: null });
    const refreshed = await tokenOf(first.id).expect(200);
    expect(refreshed.body.access_token).toEqual(expect.any(String));
    const resumed = await broker.db.prisma.connection.findUniqueOrThrow({
      where: { id: second.id },
    });
    expect(resumed.nextRefreshAt!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(
      await broker.db.prisma.webhookEvent.count({ where: { type: 'provider.recovered' } }),
    ).toBe(1);
  });
});

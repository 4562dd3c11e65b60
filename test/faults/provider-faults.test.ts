import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection } from '../support/factories.js';
import {
  garbage,
  hang,
  reset,
  startFakeProvider,
  status,
  type FakeHandler,
} from '../support/fake-provider.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import {
  brokerClient,
  buildProviderAt,
  createService,
  type CreatedService,
} from '../tokens/support.js';
import { createTally, refreshTokenWorks } from './tally.js';

/**
 * The provider misbehaves during a refresh. Whatever it does, the connection keeps its
 * refresh token (which still works at the real provider afterwards), stays active, the
 * still-valid access token is served with `Broker-Refresh-Error`, and a refresh that may
 * have reached the provider is never sent twice with the same refresh token.
 */
describe('provider faults during refresh', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  const tally = createTally('provider');

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: 3600,
      rotateRefreshTokens: true,
    });
    broker = await startTestBroker({ jobs: () => [] });
  });
  afterAll(async () => {
    tally.print();
    await broker.close();
    await upstream.close();
    const c = tally.counts;
    expect([c.tokensLost, c.wrongReauthorization, c.duplicateGrants]).toStrictEqual([0, 0, 0]);
  });

  /** `repeatable`: the provider surely did not use the token, so a retry is allowed. */
  it.each<[string, FakeHandler, boolean]>([
    ['slow beyond the timeout', hang, false],
    ['429 with Retry-After', status(429, { 'retry-after': '1' }), true],
    ['503 with Retry-After', status(503, { 'retry-after': '1' }), true],
    ['500', status(500, {}, { error: 'server_error' }), false],
    ['malformed JSON', garbage, false],
    ['TCP reset', reset, true],
  ])(
    'provider %s: no token lost, no reauthorization, no duplicate grant',
    async (_name, handler, repeatable) => {
      tally.scenario();
      const fake = await startFakeProvider([handler]);
      try {
        const provider = await buildProviderAt(broker, upstream, `${fake.url}/token`);
        const service: CreatedService = await createService(broker, [provider.key]);
        const issued = await upstream.issueTokens('broker', `fault-${provider.key}`);
        const conn = await buildConnection(broker.db.prisma, broker.container.keyring, {
          providerKey: provider.key,
          accessToken: issued.access_token,
          refreshToken: issued.refresh_token,
          expiresAt: new Date(Date.now() + 30_000),
        });

        const res = await request(broker.url)
          .get(`/v1/connections/${conn.id}/token?min_ttl=120`)
          .set(bearer(service.api_key));
        expect(res.status).toBe(200);
        expect(res.headers['broker-refresh-error']).toBe('upstream_unavailable');
        expect(res.body.access_token).toBe(issued.access_token);

        const row = await broker.db.prisma.connection.findUniqueOrThrow({
          where: { id: conn.id },
          include: { tokenSet: true },
        });
        tally.wrongReauthorization(row.status !== 'active');
        const stored = openTokenSet(broker.container.keyring, conn.id, row.tokenSet!);
        const grantsSent = fake.requests.filter((r) => r.body.includes('grant_type=refresh_token'));
        tally.duplicateGrants(repeatable ? 0 : grantsSent.length - 1);
        expect(grantsSent.length).toBeGreaterThanOrEqual(1);
        // The stored refresh token is the one we issued, and the real provider still honours it.
        tally.tokenLost(
          stored.refreshToken !== issued.refresh_token ||
            !(await refreshTokenWorks(`${upstream.issuer}/token`, stored.refreshToken ?? '')),
        );
      } finally {
        await fake.close();
      }
    },
    40_000,
  );

  it('an expired token with the provider down is 503 upstream_unavailable, never 500', async () => {
    tally.scenario();
    const fake = await startFakeProvider([status(503, { 'retry-after': '7' })]);
    try {
      const provider = await buildProviderAt(broker, upstream, `${fake.url}/token`);
      const service = await createService(broker, [provider.key]);
      const issued = await upstream.issueTokens('broker', 'expired-down');
      const conn = await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey: provider.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() - 1000),
      });
      const res = await request(broker.url)
        .get(`/v1/connections/${conn.id}/token`)
        .set(bearer(service.api_key));
      expect(res.status).toBe(503);
      expect(res.body).toStrictEqual({
        error: 'upstream_unavailable',
        error_description: expect.any(String),
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      const row = await broker.db.prisma.connection.findUniqueOrThrow({
        where: { id: conn.id },
        include: { tokenSet: true },
      });
      tally.wrongReauthorization(row.status !== 'active');
      const stored = openTokenSet(broker.container.keyring, conn.id, row.tokenSet!);
      tally.tokenLost(
        !(await refreshTokenWorks(`${upstream.issuer}/token`, stored.refreshToken ?? '')),
      );
    } finally {
      await fake.close();
    }
  });
});

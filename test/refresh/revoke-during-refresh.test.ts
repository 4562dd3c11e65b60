import { retryPendingRevocations } from '../../src/connections/revocation-retry.js';
import { revokeConnection } from '../../src/connections/revoke.js';
import { defaultSweepOptions } from '../../src/refresh/job.js';
import { exec } from '../../src/refresh/sweep.js';
import { waitFor } from '../support/wait.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, buildProviderAt } from '../tokens/support.js';
import { seedConnections, startHoldingProxy } from './support.js';

describe('a revocation landing while the sweep refreshes the connection', () => {
  let upstream: Upstream;
  let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;
  let broker: TestBroker;
  let providerKey: string;

  beforeAll(async () => {
    // A provider that revokes only the token presented: the new refresh token outlives the old one's revocation.
    upstream = await startUpstream({
      clients: [brokerClient],
      rotateRefreshTokens: true,
      revokeGrant: false,
    });
    proxy = await startHoldingProxy(`${upstream.issuer}/token`);
    broker = await startTestBroker();
    providerKey = (await buildProviderAt(broker, upstream, proxy.url)).key;
  });
  afterAll(async () => {
    await broker.close();
    await proxy.close();
    await upstream.close();
  });

  it('regression: the tokens the provider had just issued were dropped, never revoked upstream', async () => {
    await broker.db.prisma.connection.updateMany({ data: { nextRefreshAt: null } });
    const [id] = await seedConnections(
      broker.db.prisma,
      broker.container.keyring,
      upstream,
      providerKey,
      1,
      (expiresAt) => ({ expiresAt, nextRefreshAt: new Date(Date.now() - 1000) }),
    );
    proxy.holdAnswers();
    const sweep = exec(broker.container, defaultSweepOptions(broker.container.config, 'replica-a'));
    // The provider has issued new tokens; the sweep has not heard them yet.
    await waitFor(() => proxy.heldCount === 1);
    const revoked = await revokeConnection(broker.container, id!, { type: 'admin', id: 'admin' });
    expect(revoked.upstreamRevocation).toBe('succeeded');
    proxy.release();
    expect(await sweep).toMatchObject({ claimed: 1, refreshed: 0, inactive: 1, errors: 0 });

    const issued = JSON.parse(proxy.answers[0]!) as { access_token: string; refresh_token: string };
    const active = async (token: string) =>
      (await upstream.introspect(brokerClient.client_id, brokerClient.client_secret, token)).active;
    expect(await active(issued.refresh_token)).toBe(true);
    expect(await retryPendingRevocations(broker.container)).toStrictEqual({
      succeeded: 1,
      failed: 0,
    });
    expect(await active(issued.refresh_token)).toBe(false);
    expect(await active(issued.access_token)).toBe(false);
    expect(
      await broker.db.prisma.connection.findUniqueOrThrow({
        where: { id: id! },
        select: { status: true, pendingRevocation: true, tokenSet: true },
      }),
    ).toStrictEqual({ status: 'revoked', pendingRevocation: null, tokenSet: null });
  });
});

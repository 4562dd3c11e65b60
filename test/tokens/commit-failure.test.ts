import type { PrismaClient } from '../../src/db/client.js';
import { createTokenService } from '../../src/tokens/token-service.js';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient } from './support.js';

describe('a refresh whose commit fails after the provider rotated the refresh token', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], rotateRefreshTokens: true });
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it('stores the new token set from memory and never asks the provider twice', async () => {
    const c = broker.container;
    const { key } = await buildProvider(c.db.prisma, c.keyring, upstream);
    const issued = await upstream.issueTokens('broker', 'frank');
    const conn = await buildConnection(c.db.prisma, c.keyring, {
      providerKey: key,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 5_000),
    });
    let commitsToFail = 1;
    // The first refresh transaction does all its work, then fails as a lost commit would.
    const prisma = {
      $transaction: (fn: (tx: unknown) => Promise<unknown>, options: object) =>
        c.db.prisma.$transaction(async (tx) => {
          const result = await fn(tx);
          if (commitsToFail-- > 0) throw new Error('connection lost during COMMIT');
          return result;
        }, options),
    } as unknown as PrismaClient;
    const tokens = createTokenService({
      ...c,
      forcedRefreshIntervalSeconds: c.config.forcedRefreshIntervalSeconds,
      // The refresh transaction runs on the provider-call pool: that is where commits fail.
      providerCalls: prisma,
      prisma,
      pool: c.db.pool,
      refreshWindowSeconds: c.config.refreshWindowSeconds,
      refreshKeepAliveDays: c.config.refreshKeepAliveDays,
    });
    const caller = {
      id: 'svc_test',
      allowedProviders: [key],
      connectionAccess: 'provider' as const,
    };

    const { token } = await tokens.read(caller, conn.id, { minTtlSeconds: 60 });

    expect(upstream.refreshGrants()).toBe(1);
    const row = await c.db.prisma.tokenSet.findUniqueOrThrow({ where: { connectionId: conn.id } });
    const stored = openTokenSet(c.keyring, conn.id, row);
    expect(row.version).toBe(2);
    expect(stored.accessToken).toBe(token.accessToken);
    expect(stored.refreshToken).not.toBe(issued.refresh_token);
    // The stored refresh token is the live one: the grant was not revoked by a reuse.
    await c.tokens.read(caller, conn.id, { minTtlSeconds: 0, force: true });
    expect(upstream.refreshGrants()).toBe(2);
    expect(upstream.grantErrors).toEqual([]);
  });
});

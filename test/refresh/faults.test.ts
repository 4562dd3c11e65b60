import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitState } from 'cockatiel';
import { createProviderOAuth } from '../../src/providers/oauth-client.js';
import { withResilience } from '../../src/providers/resilience.js';
import { defaultSweepOptions } from '../../src/refresh/job.js';
import { exec, type SweepDeps } from '../../src/refresh/sweep.js';
import { createTokenService } from '../../src/tokens/token-service.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { buildConnection } from '../support/factories.js';
import {
  garbage,
  hang,
  okTokens,
  startFakeProvider,
  status,
  type FakeHandler,
} from '../support/fake-provider.js';

const ago = (s: number) => new Date(Date.now() - s * 1000);
const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
/** A replica remembers a transient failure this long before asking the provider again. */
const COOLDOWN_MS = 2_100;

describe('the refresher against a failing provider', () => {
  let broker: TestBroker;
  let fake: Awaited<ReturnType<typeof startFakeProvider>>;
  let refresher: SweepDeps & { oauth: ReturnType<typeof withResilience> };
  const providerKey = 'flaky';

  beforeAll(async () => {
    fake = await startFakeProvider([okTokens()]);
    broker = await startTestBroker();
    const c = broker.container;
    await c.db.prisma.provider.create({
      data: {
        key: providerKey,
        displayName: 'Flaky',
        issuer: fake.url,
        metadata: fake.metadata,
        clientId: 'broker',
        clientAuthMethod: 'client_secret_post',
        keyId: c.keyring.currentKid,
        clientSecret: c.keyring.encrypt('s', {
          table: 'providers',
          id: providerKey,
          field: 'client_secret',
        }),
        scopes: ['api'],
      },
    });
    // A replica whose provider calls time out after 1 s and whose breaker opens after 3
    // consecutive failures and probes again after 1 s (production: 10 s, 5, 30 s).
    const oauth = withResilience(
      createProviderOAuth({ timeoutSeconds: 1, allowPrivateUrls: true }),
      {
        breakerThreshold: 3,
        halfOpenAfterMs: 1_000,
        initialDelayMs: 10,
        maxDelayMs: 500,
        maxAttempts: 2,
      },
    );
    const tokens = createTokenService({
      ...c,
      forcedRefreshIntervalSeconds: c.config.forcedRefreshIntervalSeconds,
      providerCalls: c.db.providerCalls,
      prisma: c.db.prisma,
      pool: c.db.pool,
      oauth,
      refreshWindowSeconds: c.config.refreshWindowSeconds,
      refreshKeepAliveDays: c.config.refreshKeepAliveDays,
    });
    refresher = { ...c, tokens, oauth };
  });
  afterAll(async () => {
    await broker.close();
    await fake.close();
  });
  beforeEach(async () => {
    await broker.db.prisma.connection.updateMany({ data: { nextRefreshAt: null } });
    await sleep(COOLDOWN_MS);
  });

  const sweep = () =>
    exec(refresher, {
      ...defaultSweepOptions(broker.container.config, 'replica-a'),
      providerConcurrency: 1,
    });
  async function connections(n: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey,
        accessToken: `at-${i}`,
        refreshToken: `rt-${i}`,
        expiresAt: inSeconds(120),
      });
      await broker.db.prisma.connection.update({
        where: { id: row.id },
        data: { nextRefreshAt: ago(1) },
      });
      ids.push(row.id);
    }
    return ids;
  }
  const row = (id: string) =>
    broker.db.prisma.connection.findUniqueOrThrow({ where: { id }, include: { tokenSet: true } });

  it.each<[string, FakeHandler, string]>([
    ['429 with Retry-After', status(429, { 'retry-after': '7' }), 'http_429'],
    ['500', status(500), 'http_500'],
    ['a timeout', hang, 'timeout'],
    ['invalid JSON', garbage, 'bad_response'],
  ])('%s: persisted back-off, the connection stays active', async (_name, handler, errorClass) => {
    fake.setScript([handler]);
    const [id] = await connections(1);
    const started = Date.now();

    expect(await sweep()).toMatchObject({ claimed: 1, failed: 1, refreshed: 0 });

    const r = await row(id!);
    expect(r).toMatchObject({
      status: 'active',
      refreshFailures: 1,
      lastError: errorClass,
      leaseOwner: null,
      tokenSet: { version: 1 },
    });
    const delay = r.nextRefreshAt!.getTime() - started;
    expect(delay).toBeGreaterThanOrEqual(errorClass === 'http_429' ? 7_000 : 1_000);
    expect(delay).toBeLessThanOrEqual(31_000 + (Date.now() - started));
    // Not due again before its back-off: another replica (or a restarted one) leaves it be.
    expect(await sweep()).toMatchObject({ claimed: 0 });
  });

  it('failures in a row back off further, and success clears them', async () => {
    fake.setScript([status(503)]);
    const [id] = await connections(1);
    for (const failures of [1, 2, 3]) {
      await sweep();
      const r = await row(id!);
      expect(r.refreshFailures).toBe(failures);
      await broker.db.prisma.connection.update({
        where: { id: id! },
        data: { nextRefreshAt: ago(1) },
      });
      await sleep(COOLDOWN_MS);
    }
    fake.setScript([okTokens()]);
    await sleep(1_100); // the breaker, opened by the third failure, lets a probe through
    expect(await sweep()).toMatchObject({ refreshed: 1 });
    expect(await row(id!)).toMatchObject({ refreshFailures: 0, lastError: null, status: 'active' });
  });

  it('an outage opens the breaker (one probe, not a storm) and it closes again; nothing needs reauthorization', async () => {
    fake.setScript([status(500)]);
    const ids = await connections(6);

    expect(await sweep()).toMatchObject({ claimed: 6, failed: 6 });

    // Three requests opened the circuit; the other three never reached the provider.
    expect(fake.requests).toHaveLength(3);
    expect(refresher.oauth.circuitState(providerKey)).toBe(CircuitState.Open);
    const rows = await Promise.all(ids.map(row));
    expect(rows.map((r) => r.lastError).sort()).toEqual([
      'circuit_open',
      'circuit_open',
      'circuit_open',
      'http_500',
      'http_500',
      'http_500',
    ]);
    for (const r of rows) {
      expect(r.status).toBe('active');
      expect(r.nextRefreshAt!.getTime()).toBeGreaterThan(Date.now());
    }

    fake.setScript([okTokens()]);
    await broker.db.prisma.connection.updateMany({
      where: { id: { in: ids } },
      data: { nextRefreshAt: ago(1) },
    });
    await sleep(COOLDOWN_MS);
    expect(await sweep()).toMatchObject({ claimed: 6, refreshed: 6 });
    expect(refresher.oauth.circuitState(providerKey)).toBe(CircuitState.Closed);
    expect(
      await broker.db.prisma.connection.count({ where: { status: 'reauthorization_required' } }),
    ).toBe(0);
  });
});

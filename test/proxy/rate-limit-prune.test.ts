import { pruneRateLimits, RATE_LIMIT_GRACE_MS } from '../../src/proxy/rate-limits.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const now = new Date('2026-06-01T12:00:00Z');
const clock = { now: () => now };
const at = (ms: number) => new Date(now.getTime() + ms);

describe('pruning the proxy rate-limit memory', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('deletes, in batches, the blocks that ended more than the grace ago, and keeps the rest', async () => {
    // More than one batch of 1,000 of old ones.
    await db.pool.query(
      `INSERT INTO proxy_rate_limits (scope, provider_key, blocked_until)
       SELECT 'c:conn_old_' || i, 'github', $1 FROM generate_series(1, 2500) AS i`,
      [at(-RATE_LIMIT_GRACE_MS - 60_000)],
    );
    await db.prisma.proxyRateLimit.createMany({
      data: [
        { scope: 'c:conn_just_ended', providerKey: 'github', blockedUntil: at(-60_000) },
        { scope: 'c:conn_blocked', providerKey: 'github', blockedUntil: at(60_000) },
        { scope: 'p:slack', providerKey: 'slack', blockedUntil: at(3_600_000) },
      ],
    });

    expect(await pruneRateLimits({ pool: db.pool, clock })).toBe(2500);
    const left = await db.prisma.proxyRateLimit.findMany({ orderBy: { scope: 'asc' } });
    expect(left.map((r) => r.scope)).toStrictEqual([
      'c:conn_blocked',
      'c:conn_just_ended',
      'p:slack',
    ]);
    expect(await pruneRateLimits({ pool: db.pool, clock })).toBe(0);
  });
});

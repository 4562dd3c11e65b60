import { waitFor } from '../support/wait.js';
import { createChangeFeed } from '../../src/cache/change-feed.js';
import { createReadCache } from '../../src/cache/read-cache.js';
import { createLogger } from '../../src/observability/logger.js';
import { registry } from '../../src/observability/metrics.js';
import { LogCapture } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** The lookup counter of one cache, as Prometheus reads it. */
async function lookups(cache: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('token_broker_cache_lookups_total')!.get();
  const mine = metric.values.filter((v) => v.labels.cache === cache);
  return Object.fromEntries(mine.map((v) => [String(v.labels.result), v.value]));
}

describe('read cache over the Postgres change feed', () => {
  let db: TestDatabase;
  let feed: ReturnType<typeof createChangeFeed>;
  beforeAll(async () => {
    db = await createTestDatabase();
    feed = createChangeFeed({
      url: db.url,
      logger: createLogger({ level: 'silent', destination: new LogCapture() }),
    });
    feed.start();
    await waitFor(() => feed.fresh());
  });
  afterAll(async () => {
    await feed.stop();
    await db.drop();
  });

  const cacheNamed = (name: string) =>
    createReadCache<string>({
      name,
      feed,
      channel: 'token_broker_connection',
      ttlMs: 60_000,
      maxEntries: 10,
    });

  it('answers from memory until the id is announced, and counts hits and misses', async () => {
    const cache = cacheNamed('test_hits');
    let loads = 0;
    const load = () => Promise.resolve(`value ${++loads}`);
    expect(await cache.get('conn_a', load)).toBe('value 1');
    expect(await cache.get('conn_a', load)).toBe('value 1');
    expect(await cache.get('conn_a', load)).toBe('value 1');
    expect(await lookups('test_hits')).toEqual({ miss: 1, hit: 2 });

    const announced = Date.now();
    await db.pool.query(`SELECT pg_notify('token_broker_connection', 'conn_a')`);
    let seen = 'value 1';
    while (seen === 'value 1' && Date.now() - announced < 2_000) {
      seen = (await cache.get('conn_a', load))!;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toBe('value 2');
    expect(Date.now() - announced).toBeLessThan(1_000);
  });

  it('does not keep a value whose load an announcement overtook', async () => {
    const cache = cacheNamed('test_overtaken');
    let loads = 0;
    const slowLoad = async () => {
      loads++;
      await db.pool.query(`SELECT pg_notify('token_broker_connection', 'conn_b')`);
      // The notification arrives while this load is still out.
      await new Promise((r) => setTimeout(r, 300));
      return 'stale';
    };
    expect(await cache.get('conn_b', slowLoad)).toBe('stale');
    expect(await cache.get('conn_b', () => Promise.resolve('fresh'))).toBe('fresh');
    expect(loads).toBe(1);
  });
});

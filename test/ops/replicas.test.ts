import request from 'supertest';
import { createDatabase } from '../../src/db/client.js';
import { readMigrations } from '../../src/db/migrator.js';
import { METRIC_CATALOG } from '../../src/observability/metric-names.js';
import { registry } from '../../src/observability/metrics.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createEmptyDatabase, type TestDatabase } from '../support/db.js';

/** One sample's value from Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('two replicas on one Postgres', () => {
  let db: TestDatabase;
  let replicas: TestBroker[];

  beforeAll(async () => {
    // An empty database: both replicas start together and race to migrate it.
    const empty = await createEmptyDatabase();
    const base = createDatabase(empty.url);
    db = {
      ...base,
      url: empty.url,
      async drop() {
        await base.close();
        await empty.drop();
      },
    };
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey() };
    replicas = await Promise.all([startTestBroker({ db, env }), startTestBroker({ db, env })]);
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await db.drop();
  });

  it('applies each migration once although both replicas started together', async () => {
    const { rows } = await db.pool.query<{ migration_name: string }>(
      'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY 1',
    );
    expect(rows.map((r) => r.migration_name)).toEqual((await readMigrations()).map((m) => m.name));
  });

  it('reports both replicas ready', async () => {
    for (const r of replicas) {
      const res = await request(r.url).get('/readyz').expect(200);
      expect(res.body).toStrictEqual({
        status: 'ready',
        checks: { database: 'ok', migrations: 'ok' },
      });
    }
  });

  it('shares state through Postgres: created on one replica, served and deleted on the other', async () => {
    const [a, b] = replicas as [TestBroker, TestBroker];
    const created = await request(a.url)
      .post('/admin/services')
      .set('Authorization', `Bearer ${a.adminToken}`)
      .send({ name: 'billing', allowed_providers: [], allowed_return_to: [] })
      .expect(201);
    const id = created.body.id as string;
    const seen = await request(b.url)
      .get(`/admin/services/${id}`)
      .set('Authorization', `Bearer ${b.adminToken}`)
      .expect(200);
    expect(seen.body.name).toBe('billing');
    await request(b.url)
      .delete(`/admin/services/${id}`)
      .set('Authorization', `Bearer ${b.adminToken}`)
      .expect(204);
    await request(a.url)
      .get(`/admin/services/${id}`)
      .set('Authorization', `Bearer ${a.adminToken}`)
      .expect(404);
  });

  it('exposes every registered catalog metric on each replica, with the pool and database gauges', async () => {
    const names = registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name);
    // With the whole broker loaded, no token_broker_* metric may be missing from the catalog.
    expect(names.filter((n) => n.startsWith('token_broker_') && !(n in METRIC_CATALOG))).toEqual(
      [],
    );
    const registered = names.filter((name) => name in METRIC_CATALOG);
    expect(registered).toEqual(
      expect.arrayContaining([
        'token_broker_http_request_duration_seconds',
        'token_broker_db_pool_connections',
        'token_broker_db_pool_max',
        'token_broker_db_up',
      ]),
    );
    for (const r of replicas) {
      const text = (await request(r.url).get('/metrics').expect(200)).text;
      for (const name of registered) expect(text).toContain(`# HELP ${name} `);
      expect(sample(text, 'token_broker_db_up')).toBe(1);
      expect(sample(text, 'token_broker_db_pool_connections{state="total"}')).toBeGreaterThan(0);
      expect(sample(text, 'token_broker_db_pool_connections{state="waiting"}')).toBe(0);
      expect(sample(text, 'token_broker_db_pool_max')).toBeGreaterThanOrEqual(10);
      expect(text).not.toMatch(/(subject|connection_id)="/);
    }
  });

  it('keeps serving from one replica while the other stops', async () => {
    const [a, b] = replicas as [TestBroker, TestBroker];
    await a.stop();
    await request(b.url).get('/readyz').expect(200);
    await request(b.url)
      .get('/admin/services')
      .set('Authorization', `Bearer ${b.adminToken}`)
      .expect(200);
  });
});

import pg from 'pg';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

describe('HTTP skeleton', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(() => broker.close());

  it('reports alive and ready', async () => {
    await request(broker.url).get('/healthz').expect(200, { status: 'ok' });
    const ready = await request(broker.url).get('/readyz').expect(200);
    expect(ready.body).toStrictEqual({
      status: 'ready',
      checks: { database: 'ok', migrations: 'ok' },
    });
  });

  it('answers an unknown route with 404 JSON', async () => {
    const res = await request(broker.url).get('/no/such/thing').expect(404);
    expect(res.body).toStrictEqual({ error: 'not_found', error_description: 'route not found' });
  });

  it('answers a known path with a wrong method with 405 and Allow', async () => {
    const res = await request(broker.url).delete('/healthz').expect(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.body.error).toBe('method_not_allowed');
  });

  it('rejects a body over the limit with 413 and malformed JSON with 400', async () => {
    const big = await request(broker.url)
      .post('/healthz')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ x: 'a'.repeat(70 * 1024) }))
      .expect(413);
    expect(big.body).toStrictEqual({
      error: 'payload_too_large',
      error_description: 'request body is too large',
    });
    const bad = await request(broker.url)
      .post('/healthz')
      .set('Content-Type', 'application/json')
      .send('{"x":')
      .expect(400);
    expect(bad.body.error).toBe('invalid_request');
  });

  it('sets request ids and security headers', async () => {
    const res = await request(broker.url)
      .get('/healthz')
      .set('X-Request-Id', 'abc-123')
      .expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const other = await request(broker.url).get('/healthz').set('X-Request-Id', 'bad id\twith tab');
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('exposes Prometheus metrics including the request histogram', async () => {
    await request(broker.url).get('/healthz');
    const res = await request(broker.url).get('/metrics').expect(200);
    expect(res.text).toContain('token_broker_http_request_duration_seconds_bucket');
    expect(res.text).toContain('process_cpu_user_seconds_total');
    expect(res.text).toMatch(/route="\/healthz"/);
  });

  it('reports not ready while migrations are pending', async () => {
    const other = await startTestBroker();
    await other.db.pool.query(`DELETE FROM "_prisma_migrations"`);
    const res = await request(other.url).get('/readyz').expect(503);
    expect(res.body).toStrictEqual({
      error: 'upstream_unavailable',
      error_description: 'database schema is not current',
      checks: { database: 'ok', migrations: 'pending' },
    });
    await other.close();
  });

  it('reports not ready when the database is gone, and keeps serving', async () => {
    const other = await startTestBroker();
    await other.db.pool.end();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_SERVER_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE ${new URL(other.db.url).pathname.slice(1)} WITH (FORCE)`);
    await admin.end();
    const res = await request(other.url).get('/readyz').expect(503);
    expect(res.body.checks.database).toBe('unreachable');
    await request(other.url).get('/healthz').expect(200);
    await other.stop();
  });
});

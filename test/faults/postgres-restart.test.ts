import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import request from 'supertest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';
import { createTally } from './tally.js';

const WORKERS = 6;

/**
 * Postgres (an embedded one of this test's own) stops under load and starts again on the
 * same port: requests fail cleanly with 503 `upstream_unavailable` and `Retry-After`,
 * never 500, and the same broker process recovers by itself.
 */
describe('Postgres restarted under load', () => {
  const dir = `.data/test-faults-${randomBytes(4).toString('hex')}/postgres`;
  let pg: EmbeddedDatabase;
  let upstream: Upstream;
  let broker: TestBroker;
  let service: CreatedService;
  let connectionId: string;
  const tally = createTally('postgres restart');

  beforeAll(async () => {
    pg = await startEmbeddedPostgres(dir);
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    broker = await startTestBroker({ jobs: () => [], env: { DATABASE_URL: pg.url } });
    const { prisma } = broker.container.db;
    const provider = await buildProvider(prisma, broker.container.keyring, upstream);
    service = await createService(broker, [provider.key]);
    const issued = await upstream.issueTokens('broker', 'restart-user');
    connectionId = (
      await buildConnection(prisma, broker.container.keyring, {
        providerKey: provider.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
    ).id;
  }, 60_000);
  afterAll(async () => {
    tally.print();
    await broker.close();
    await pg.stop();
    await upstream.close();
    await rm(dir.replace(/\/postgres$/, ''), { recursive: true, force: true });
  }, 30_000);

  /** Keeps WORKERS token reads (and list calls) in flight until `stop()`; collects answers. */
  function load() {
    const answers: { status: number; error: string | undefined; retryAfter: string | undefined }[] =
      [];
    let running = true;
    const worker = async (i: number) => {
      while (running) {
        const path = i % 2 ? `/v1/connections/${connectionId}/token` : '/v1/connections';
        const res = await request(broker.url).get(path).set(bearer(service.api_key));
        answers.push({
          status: res.status,
          error: (res.body as { error?: string }).error,
          retryAfter: res.headers['retry-after'],
        });
      }
    };
    const done = Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
    return {
      answers,
      async stop() {
        running = false;
        await done;
      },
    };
  }

  it('answers 503 with Retry-After while it is down, and recovers without a restart', async () => {
    tally.scenario();
    const port = Number(new URL(pg.url).port);
    const traffic = load();
    await new Promise((ok) => setTimeout(ok, 500));
    await pg.stop();
    const downFrom = traffic.answers.length;
    await new Promise((ok) => setTimeout(ok, 1500));
    const ready = await request(broker.url).get('/readyz');
    const healthy = await request(broker.url).get('/healthz');
    pg = await startEmbeddedPostgres(dir, undefined, { port });
    await new Promise((ok) => setTimeout(ok, 500));
    const upFrom = traffic.answers.length;
    // Recovered: a fresh read succeeds within a few seconds.
    let recovered = 0;
    for (let i = 0; i < 40 && recovered === 0; i++) {
      const res = await request(broker.url)
        .get(`/v1/connections/${connectionId}/token`)
        .set(bearer(service.api_key));
      if (res.status === 200) recovered = Date.now();
      else await new Promise((ok) => setTimeout(ok, 250));
    }
    await new Promise((ok) => setTimeout(ok, 500));
    await traffic.stop();

    const { answers } = traffic;
    const statuses = [...new Set(answers.map((a) => a.status))].sort();
    const down = answers.slice(downFrom, upFrom);
    const unavailable = down.filter((a) => a.status === 503);
    console.log(
      `faults: postgres restart: ${answers.length} requests under load, statuses ${statuses.join('/')}, ` +
        `${unavailable.length} clean 503 while down, ${answers.filter((a) => a.status >= 500 && a.status !== 503).length} other 5xx`,
    );
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toStrictEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a).toStrictEqual({ status: 503, error: 'upstream_unavailable', retryAfter: '5' });
    }
    expect(ready.status).toBe(503);
    expect(healthy.status).toBe(200);
    expect(recovered).toBeGreaterThan(0);
    expect(answers.slice(-WORKERS).map((a) => a.status)).toStrictEqual(
      Array.from({ length: WORKERS }, () => 200),
    );
    await request(broker.url).get('/readyz').expect(200);
    const row = await broker.container.db.prisma.connection.findUniqueOrThrow({
      where: { id: connectionId },
    });
    tally.wrongReauthorization(row.status !== 'active');
  }, 90_000);
});

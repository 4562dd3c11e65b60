import fc from 'fast-check';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';
import { operationsOf, requestArb, type FuzzContext, type Operation } from './arbitraries.js';
import { createRawClient, pool, type FuzzRequest, type FuzzResponse } from './http-client.js';

/** At least 10,000 requests in CI; FUZZ_REQUESTS raises it for a longer local run. */
const TOTAL = Number(process.env.FUZZ_REQUESTS ?? 10_400);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = 16;

const isBrowserPath = (path: string) =>
  /^\/(connect\/|oauth\/callback(\/|\?|$)|console(\/|\?|$))/i.test(path);

/** What must hold for every answer: no 5xx, and errors in the contract's shape. */
function violation(req: FuzzRequest, res: FuzzResponse): string | undefined {
  if (res.status >= 500) return `status ${res.status}`;
  if (res.status < 400 || req.method === 'HEAD') return undefined;
  const type = String(res.headers['content-type'] ?? '');
  if (isBrowserPath(req.path) && type.startsWith('text/html')) return undefined;
  if (!type.startsWith('application/json')) return `error content-type ${type}`;
  try {
    const body = JSON.parse(res.body) as Record<string, unknown>;
    const keys = Object.keys(body).sort().join(',');
    if (keys !== 'error,error_description') return `error body keys ${keys}`;
    if (typeof body.error !== 'string' || typeof body.error_description !== 'string') {
      return 'error body values are not strings';
    }
  } catch {
    return 'error body is not JSON';
  }
  return undefined;
}

describe('fuzzing every OpenAPI operation over real HTTP', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let service: CreatedService;
  let connectionId: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    broker = await startTestBroker({
      jobs: () => [],
      env: {
        LOG_LEVEL: 'warn',
        RATE_LIMIT_TOKEN_PER_MINUTE: '0',
        RATE_LIMIT_CONNECT_PER_MINUTE: '0',
        RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
      },
    });
    const provider = await buildProvider(broker.db.prisma, broker.container.keyring, upstream);
    service = await createService(broker, [provider.key], {
      allowed_return_to: ['https://app.example.com'],
    });
    const issued = await upstream.issueTokens('broker', 'fuzz-user');
    connectionId = (
      await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey: provider.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
    ).id;
  }, 60_000);
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  it(`answers ${TOTAL} hostile requests without a 5xx, with contract error bodies`, async () => {
    const doc = (await request(broker.url).get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations: Operation[] = operationsOf(doc);
    const jwt = await request(broker.url)
      .post('/oauth/token')
      .auth(service.client_id, service.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const providerKey = (await broker.db.prisma.provider.findFirstOrThrow()).key;
    const ctx: FuzzContext = {
      adminToken: broker.adminToken,
      serviceApiKey: service.api_key,
      serviceJwt: (jwt.body as { access_token: string }).access_token,
      clientBasic: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
      realIds: { id: [connectionId, service.id], key: [providerKey], token: ['cs_x'] },
    };
    const arb = fc.oneof(...operations.map((op) => requestArb(op, ctx)));
    const requests = fc.sample(arb, { numRuns: TOTAL, seed: SEED });

    const client = createRawClient(broker.url, CONCURRENCY);
    const failures: string[] = [];
    let fiveHundreds = 0;
    let badBodies = 0;
    const started = Date.now();
    await pool(requests, CONCURRENCY, async (req) => {
      const res = await client.send(req).catch((error: Error) => {
        throw new Error(`${error.message}: ${req.method} ${req.path.slice(0, 300)}`);
      });
      const problem = violation(req, res);
      if (!problem) return;
      if (res.status >= 500) fiveHundreds++;
      else badBodies++;
      if (failures.length < 40) {
        failures.push(
          `${problem} (${res.status}): ${req.method} ${req.path.slice(0, 200)} → ${res.body.slice(0, 200)}`,
        );
      }
    });
    client.close();
    console.log(
      `fuzz: ${requests.length} requests, ${fiveHundreds} 5xx, ${badBodies} bad error bodies ` +
        `(${operations.length} operations, seed ${SEED}, ${Date.now() - started} ms)`,
    );
    expect(failures).toStrictEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(10_000);

    // Still healthy: probes, and a normal token read of the real connection.
    await request(broker.url).get('/healthz').expect(200);
    await request(broker.url).get('/readyz').expect(200);
    const read = await request(broker.url)
      .get(`/v1/connections/${connectionId}/token`)
      .set(bearer(service.api_key))
      .expect(200);
    expect(read.body).toMatchObject({ connection_id: connectionId, token_type: 'Bearer' });
  }, 180_000);
});

import request from 'supertest';
import type { Clock } from '../../src/clock.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';
import { createTally } from './tally.js';

const SKEW_MS = 30_000;
const skewed = (ms: number): Clock => ({ now: () => new Date(Date.now() + ms) });

/** Two replicas whose clocks are 30 s ahead and 30 s behind, on one database. */
describe('clock skew of ±30 s between replicas', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let ahead: TestBroker;
  let behind: TestBroker;
  let service: CreatedService;
  let providerKey: string;
  const tally = createTally('clock skew');

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: 3600,
      rotateRefreshTokens: true,
    });
    db = await createTestDatabase();
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), PUBLIC_URL: 'http://broker.test' };
    ahead = await startTestBroker({ db, env, jobs: () => [], clock: skewed(SKEW_MS) });
    behind = await startTestBroker({
      db,
      env: { ...env, ADMIN_API_TOKEN: ahead.adminToken },
      jobs: () => [],
      clock: skewed(-SKEW_MS),
    });
    providerKey = (await buildProvider(db.prisma, ahead.container.keyring, upstream)).key;
    service = await createService(ahead, [providerKey]);
  });
  afterAll(async () => {
    tally.print();
    await ahead.close();
    await behind.close();
    await db.drop();
    await upstream.close();
    const c = tally.counts;
    expect([c.tokensLost, c.wrongReauthorization, c.duplicateGrants]).toStrictEqual([0, 0, 0]);
  });

  it.each([
    ['ahead', 'behind'],
    ['behind', 'ahead'],
  ] as const)(
    'a broker JWT issued by the replica %s is accepted by the one %s',
    async (from, to) => {
      tally.scenario();
      const issuer = from === 'ahead' ? ahead : behind;
      const verifier = to === 'ahead' ? ahead : behind;
      const jwt = await request(issuer.url)
        .post('/oauth/token')
        .auth(service.client_id, service.client_secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
      await request(verifier.url)
        .get('/v1/connections')
        .set(bearer(jwt.body.access_token as string))
        .expect(200);
    },
  );

  it('concurrent reads on both replicas refresh once', async () => {
    tally.scenario();
    const issued = await upstream.issueTokens('broker', 'skewed-user');
    // 45 s left by the real clock: 15 s for the replica ahead, 75 s for the one behind.
    const conn = await buildConnection(db.prisma, ahead.container.keyring, {
      providerKey,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 45_000),
    });
    const before = upstream.refreshGrants();
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request((i % 2 ? ahead : behind).url)
          .get(`/v1/connections/${conn.id}/token?min_ttl=120`)
          .set(bearer(service.api_key)),
      ),
    );
    const grants = upstream.refreshGrants() - before;
    expect(reads.map((r) => r.status)).toStrictEqual(reads.map(() => 200));
    expect(new Set(reads.map((r) => r.body.access_token as string)).size).toBe(1);
    tally.duplicateGrants(grants - 1);
    expect(grants).toBe(1);
    const row = await db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } });
    tally.wrongReauthorization(row.status !== 'active');
  });
});

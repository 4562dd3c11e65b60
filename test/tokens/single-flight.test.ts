import request from 'supertest';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker, type ChildBroker } from '../support/child-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService } from './support.js';

const CALLERS = 50;

describe('single-flight refresh across replicas', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let replicas: TestBroker[];
  let child: ChildBroker;

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: 20,
      rotateRefreshTokens: true,
    });
    db = await createTestDatabase();
    // Replicas share the database, the encryption keys and the public URL (JWT iss/aud).
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), PUBLIC_URL: 'http://broker.test' };
    replicas = [await startTestBroker({ db, env }), await startTestBroker({ db, env })];
    child = await startChildBroker({
      ...env,
      DATABASE_URL: db.url,
      ADMIN_API_TOKEN: replicas[0]!.adminToken,
    });
  }, 60_000);
  afterAll(async () => {
    await child.stop();
    for (const r of replicas) await r.close();
    await db.drop();
    await upstream.close();
  });

  it("replicas create one signing key on first need and accept each other's JWTs", async () => {
    const [a, b] = replicas as [TestBroker, TestBroker];
    const service = await createService(a, []);
    const issue = (url: string) =>
      request(url)
        .post('/oauth/token')
        .auth(service.client_id, service.client_secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
        .expect(200);
    const answers = await Promise.all([a.url, b.url, child.url, a.url, b.url].map(issue));
    expect(await db.prisma.signingKey.count()).toBe(1);
    for (const { body } of answers) {
      for (const url of [a.url, b.url, child.url]) {
        await request(url).get('/v1/connections').set(bearer(body.access_token)).expect(200);
      }
    }
  });

  it(`${CALLERS} concurrent reads on 3 replicas of an expiring connection: one refresh grant, one fresh token for all`, async () => {
    const [a, b] = replicas as [TestBroker, TestBroker];
    const provider = await buildProvider(db.prisma, a.container.keyring, upstream);
    const service = await createService(a, [provider.key]);
    const issued = await upstream.issueTokens('broker', 'carol');
    const conn = await buildConnection(db.prisma, a.container.keyring, {
      providerKey: provider.key,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3_000),
    });
    const urls = [a.url, b.url, child.url];
    const before = upstream.refreshGrants();

    const responses = await Promise.all(
      Array.from({ length: CALLERS }, (_, i) =>
        request(urls[i % urls.length]!)
          .get(`/v1/connections/${conn.id}/token?min_ttl=10`)
          .set(bearer(service.api_key)),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(CALLERS).fill(200));
    const tokens = new Set(responses.map((r) => r.body.access_token as string));
    expect(tokens.size).toBe(1);
    expect(tokens.has(issued.access_token)).toBe(false);
    expect(upstream.refreshGrants() - before).toBe(1);
    expect(upstream.grantErrors).toEqual([]);

    // The grant survived: had a rotated-out refresh token been used twice, oidc-provider
    // would have revoked it and this forced refresh would be 409.
    const forced = await request(b.url)
      .post(`/v1/connections/${conn.id}/refresh`)
      .set(bearer(service.api_key))
      .expect(200);
    expect(upstream.refreshGrants() - before).toBe(2);
    expect(
      (await upstream.introspect('broker', 'broker-secret', forced.body.access_token)).active,
    ).toBe(true);

    for (const text of [a.logs.text, b.logs.text, child.output.join('\n')]) {
      expect(text).not.toContain(issued.refresh_token);
    }
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { CHANGE_FEED_APPLICATION } from '../../src/cache/change-feed.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';

/** API.md: no replica serves a revoked connection's token later than 1 s after the revoke returned. */
const PROMISE_MS = 1_000;
/** How long reads keep hammering the other replica after the change returned. */
const HAMMER_MS = 2_500;

interface Sample {
  startedAt: number;
  status: number;
  accessToken: string | undefined;
}

/**
 * Reads a token from `url` in `parallel` loops until `until()` is true, recording when each
 * request started and what it answered.
 */
async function hammer(url: string, path: string, credential: string, until: () => boolean) {
  const samples: Sample[] = [];
  const loop = async () => {
    while (!until()) {
      const startedAt = Date.now();
      const res = await fetch(`${url}${path}`, { headers: bearer(credential) });
      const body = (await res.json()) as { access_token?: string };
      samples.push({ startedAt, status: res.status, accessToken: body.access_token });
    }
  };
  await Promise.all(Array.from({ length: 4 }, loop));
  return samples;
}

describe('two replicas on one database: caches never outlive a change by more than 1 s', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let a: TestBroker;
  let b: TestBroker;
  let providerKey: string;
  let service: CreatedService;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    db = await createTestDatabase();
    // Replicas share their keys and public URL (the issuer and audience of broker JWTs).
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), PUBLIC_URL: 'http://broker.test' };
    a = await startTestBroker({ db, env });
    b = await startTestBroker({ db, env });
    providerKey = (await buildProvider(db.prisma, a.container.keyring, upstream)).key;
    service = await createService(a, [providerKey]);
    await waitFresh(a);
    await waitFresh(b);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await db.drop();
    await upstream.close();
  });

  async function waitFresh(broker: TestBroker) {
    for (let i = 0; i < 100 && !broker.container.changes.fresh(); i++) await sleep(50);
    expect(broker.container.changes.fresh()).toBe(true);
  }

  async function connection() {
    const issued = await upstream.issueTokens('broker', `user-${Math.random()}`);
    const row = await buildConnection(db.prisma, a.container.keyring, {
      providerKey,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3600_000),
    });
    return { id: row.id, issued };
  }

  /** Requests that started more than 1 s after `returnedAt`. */
  const late = (samples: Sample[], returnedAt: number) =>
    samples.filter((s) => s.startedAt > returnedAt + PROMISE_MS);

  it('a revoked connection token is never served by the other replica more than 1 s after the revoke returned', async () => {
    const { id, issued } = await connection();
    const path = `/v1/connections/${id}/token`;
    // B has the token cached.
    const first = await request(b.url).get(path).set(bearer(service.api_key)).expect(200);
    expect(first.body.access_token).toBe(issued.access_token);

    let returnedAt = Number.POSITIVE_INFINITY;
    const reads = hammer(b.url, path, service.api_key, () => Date.now() > returnedAt + HAMMER_MS);
    await sleep(300);
    await request(a.url).delete(`/admin/connections/${id}`).set(bearer(a.adminToken)).expect(204);
    returnedAt = Date.now();
    const samples = await reads;

    expect(
      samples.filter((s) => s.startedAt < returnedAt && s.status === 200).length,
    ).toBeGreaterThan(0);
    const after = late(samples, returnedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 410)).toEqual([]);
  });

  it('a refresh on one replica replaces the token the other one serves within 1 s', async () => {
    const { id, issued } = await connection();
    const path = `/v1/connections/${id}/token`;
    await request(b.url).get(path).set(bearer(service.api_key)).expect(200);

    let returnedAt = Number.POSITIVE_INFINITY;
    const reads = hammer(b.url, path, service.api_key, () => Date.now() > returnedAt + HAMMER_MS);
    await sleep(300);
    const refreshed = await request(a.url)
      .post(`/v1/connections/${id}/refresh`)
      .set(bearer(service.api_key))
      .expect(200);
    returnedAt = Date.now();
    const samples = await reads;

    const fresh = refreshed.body.access_token as string;
    expect(fresh).not.toBe(issued.access_token);
    expect(samples.some((s) => s.accessToken === issued.access_token)).toBe(true);
    const after = late(samples, returnedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 200 || s.accessToken !== fresh)).toEqual([]);
  });

  it("a deleted service's API key and JWTs stop working on the other replica within 1 s", async () => {
    const doomed = await createService(a, [providerKey]);
    const jwt = await request(a.url)
      .post('/oauth/token')
      .auth(doomed.client_id, doomed.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const { id } = await connection();
    const path = `/v1/connections/${id}/token`;
    await request(b.url).get(path).set(bearer(doomed.api_key)).expect(200);
    await request(b.url)
      .get(path)
      .set(bearer(jwt.body.access_token as string))
      .expect(200);

    let returnedAt = Number.POSITIVE_INFINITY;
    const done = () => Date.now() > returnedAt + HAMMER_MS;
    const reads = Promise.all([
      hammer(b.url, path, doomed.api_key, done),
      hammer(b.url, path, jwt.body.access_token as string, done),
    ]);
    await sleep(300);
    await request(a.url)
      .delete(`/admin/services/${doomed.id}`)
      .set(bearer(a.adminToken))
      .expect(204);
    returnedAt = Date.now();
    const samples = (await reads).flat();

    expect(
      samples.filter((s) => s.startedAt < returnedAt && s.status === 200).length,
    ).toBeGreaterThan(0);
    const after = late(samples, returnedAt);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((s) => s.status !== 401)).toEqual([]);
  });

  it('a dropped LISTEN connection turns the caches off until it is back, then they start empty', async () => {
    const { id } = await connection();
    const path = `/v1/connections/${id}/token`;
    await request(b.url).get(path).set(bearer(service.api_key)).expect(200);

    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = $1 AND datname = current_database()`,
      [CHANGE_FEED_APPLICATION],
    );
    for (let i = 0; i < 40 && b.container.changes.fresh(); i++) await sleep(25);
    expect(b.container.changes.fresh()).toBe(false);
    // Nobody hears this change; with the feed down, B reads the database.
    await db.prisma.connection.update({
      where: { id },
      data: { status: 'reauthorization_required' },
    });
    await request(b.url).get(path).set(bearer(service.api_key)).expect(409);

    await waitFresh(b);
    await db.prisma.connection.update({ where: { id }, data: { status: 'active' } });
    await sleep(200);
    await request(b.url).get(path).set(bearer(service.api_key)).expect(200);
  });
});

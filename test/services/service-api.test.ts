import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider, CONNECTION_FIELDS } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';

describe('service API: connections under the service policy', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let allowed: string;
  let other: string;
  let service: CreatedService;
  const mine: string[] = [];
  let foreign: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient] });
    broker = await startTestBroker();
    const { prisma } = broker.db;
    const { keyring } = broker.container;
    allowed = (await buildProvider(prisma, keyring, upstream)).key;
    other = (await buildProvider(prisma, keyring, upstream)).key;
    service = await createService(broker, [allowed]);
    for (const subject of ['alice', 'bob', 'carol']) {
      const issued = await upstream.issueTokens('broker', subject);
      const conn = await buildConnection(prisma, keyring, {
        providerKey: allowed,
        subject,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3600_000),
        status: subject === 'carol' ? 'reauthorization_required' : 'active',
      });
      mine.push(conn.id);
    }
    const issued = await upstream.issueTokens('broker', 'alice');
    foreign = (
      await buildConnection(prisma, keyring, {
        providerKey: other,
        subject: 'alice',
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 5_000),
      })
    ).id;
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  const get = (path: string, credential = service.api_key) =>
    request(broker.url).get(path).set(bearer(credential));

  it('is 401 without credentials', async () => {
    for (const path of ['/v1/connections', `/v1/connections/${mine[0]}`]) {
      const res = await request(broker.url).get(path).expect(401);
      expect(res.body.error).toBe('invalid_token');
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('lists only connections of allowed providers, paging with an opaque cursor', async () => {
    const first = await get('/v1/connections?limit=2').expect(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await get(`/v1/connections?limit=2&cursor=${first.body.next_cursor}`).expect(
      200,
    );
    expect(second.body.next_cursor).toBeNull();
    const all = [...first.body.data, ...second.body.data];
    expect(all.map((c: { id: string }) => c.id).sort()).toEqual([...mine].sort());
    expect(all.find((c: { subject: string }) => c.subject === 'carol')).toStrictEqual({
      id: mine[2],
      service_id: null,
      provider: allowed,
      subject: 'carol',
      status: 'reauthorization_required',
      scopes: ['openid', 'offline_access', 'api'],
      metadata: {},
      expires_at: expect.any(String),
      created_at: expect.any(String),
      updated_at: expect.any(String),
      last_refreshed_at: null,
      last_error: null,
    });
  });

  it('filters by provider, subject and status', async () => {
    const bySubject = await get('/v1/connections?subject=alice').expect(200);
    expect(bySubject.body.data.map((c: { id: string }) => c.id)).toEqual([mine[0]]);
    const byStatus = await get(
      `/v1/connections?provider=${allowed}&status=reauthorization_required`,
    ).expect(200);
    expect(byStatus.body.data.map((c: { id: string }) => c.id)).toEqual([mine[2]]);
  });

  it('answers 403 when the caller names a provider outside its policy', async () => {
    const res = await get(`/v1/connections?provider=${other}`).expect(403);
    expect(res.body.error).toBe('insufficient_scope');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['status=paused', 'status'],
    ['cursor=garbage', 'cursor'],
  ])('rejects ?%s with 400 naming the field', async (query, field) => {
    const res = await get(`/v1/connections?${query}`).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(field);
  });

  it('reads one connection, never its tokens', async () => {
    const res = await get(`/v1/connections/${mine[0]}`).expect(200);
    expect(res.body).toMatchObject({ id: mine[0], provider: allowed, subject: 'alice' });
    expect(Object.keys(res.body).sort()).toEqual(CONNECTION_FIELDS);
  });

  it('answers 404 for a connection of a provider outside the policy: read, token, refresh', async () => {
    const before = upstream.refreshGrants();
    const unknown = await get('/v1/connections/conn_doesnotexist').expect(404);
    for (const res of [
      await get(`/v1/connections/${foreign}`),
      await get(`/v1/connections/${foreign}/token?min_ttl=60`),
      await request(broker.url)
        .post(`/v1/connections/${foreign}/refresh`)
        .set(bearer(service.api_key)),
    ]) {
      expect(res.status).toBe(404);
      // Indistinguishable from a connection that does not exist.
      expect(res.body).toStrictEqual(unknown.body);
    }
    expect(upstream.refreshGrants()).toBe(before);
  });

  it('a service allowed both providers sees both', async () => {
    const both = await createService(broker, [allowed, other]);
    const res = await get('/v1/connections', both.api_key).expect(200);
    expect(res.body.data.map((c: { id: string }) => c.id).sort()).toEqual(
      [...mine, foreign].sort(),
    );
  });

  it("a deleted service's API key stops working at once", async () => {
    const doomed = await createService(broker, [allowed]);
    await get('/v1/connections', doomed.api_key).expect(200);
    await request(broker.url)
      .delete(`/admin/services/${doomed.id}`)
      .set(bearer(broker.adminToken))
      .expect(204);
    const res = await get('/v1/connections', doomed.api_key).expect(401);
    expect(res.body.error).toBe('invalid_token');
  });
});

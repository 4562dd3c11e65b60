import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from './support.js';

describe('DELETE /v1/connections/:id (a service revokes)', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let owner: CreatedService;
  let stranger: CreatedService;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient] });
    broker = await startTestBroker();
    providerKey = (await buildProvider(broker.db.prisma, broker.container.keyring, upstream)).key;
    const other = await buildProvider(broker.db.prisma, broker.container.keyring, upstream);
    owner = await createService(broker, [providerKey]);
    stranger = await createService(broker, [other.key]);
  });
  afterAll(async () => {
    await broker.close();
    await upstream.close();
  });

  async function connection() {
    const issued = await upstream.issueTokens('broker', `user-${Math.random()}`);
    const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey,
      accessToken: issued.access_token,
      refreshToken: issued.refresh_token,
      expiresAt: new Date(Date.now() + 3600_000),
    });
    return { id: row.id, issued };
  }

  it('is 401 without credentials', async () => {
    const { id } = await connection();
    const res = await request(broker.url).delete(`/v1/connections/${id}`).expect(401);
    expect(res.body.error).toBe('invalid_token');
  });

  it('is 404 for a connection outside the service policy, which stays active', async () => {
    const { id } = await connection();
    await request(broker.url)
      .delete(`/v1/connections/${id}`)
      .set(bearer(stranger.api_key))
      .expect(404);
    const row = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('active');
  });

  it('revokes upstream and locally, then the token is 410; a second delete is 204', async () => {
    const { id, issued } = await connection();
    await request(broker.url)
      .delete(`/v1/connections/${id}`)
      .set(bearer(owner.api_key))
      .expect(204);
    const token = await request(broker.url)
      .get(`/v1/connections/${id}/token`)
      .set(bearer(owner.api_key));
    expect(token.status).toBe(410);
    expect(token.body.error).toBe('revoked');
    for (const t of [issued.access_token, issued.refresh_token]) {
      expect((await upstream.introspect('broker', 'broker-secret', t)).active).toBe(false);
    }
    await request(broker.url)
      .delete(`/v1/connections/${id}`)
      .set(bearer(owner.api_key))
      .expect(204);
    await broker.container.audit.flush();
    const audit = await broker.db.prisma.auditEvent.findMany({
      where: { connectionId: id, action: 'connection.revoke' },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: 'service', actorId: owner.id });
  });
});

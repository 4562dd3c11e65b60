import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { createService } from '../tokens/support.js';
import { openTokenSet } from '../../src/vault/token-set.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from './fake-authorization-server.js';
import { APP_ORIGIN, callback, connectSession, flowUntilCallback, returned } from './helpers.js';
import { bearer, registerProvider } from '../support/factories.js';

/** Connections belong to the service that created them (issue 16). */
describe('connection ownership', () => {
  let broker: TestBroker;
  let a: { id: string; api_key: string };
  let b: { id: string; api_key: string };
  let shared: { id: string; api_key: string };
  let fake: FakeAuthorizationServer;
  beforeAll(async () => {
    broker = await startTestBroker();
    fake = await startFakeAuthorizationServer({ clientId: 'c', clientSecret: 's' });
    fake.setBehavior('oidc');
    await registerProvider(broker, {
      key: 'hub',
      authorization_endpoint: fake.authorizationEndpoint,
      token_endpoint: fake.tokenEndpoint,
      revocation_endpoint: fake.revocationEndpoint,
      client_id: 'c',
      client_secret: 's',
      client_auth_method: 'client_secret_post',
      scopes: ['api'],
    });
    await registerProvider(broker, { key: 'keys', display_name: 'KeyCorp', auth_mode: 'api_key' });
    const own = { connection_access: 'own', allowed_return_to: [APP_ORIGIN] };
    a = await createService(broker, ['keys', 'hub'], own);
    b = await createService(broker, ['keys', 'hub'], own);
    shared = await createService(broker, ['keys'], { connection_access: 'provider' });
  });
  afterAll(async () => {
    await fake.close();
    await broker.close();
  });

  const connect = (svc: { api_key: string }, apiKey: string) =>
    request(broker.url)
      .post('/v1/connections')
      .set(bearer(svc.api_key))
      .send({ type: 'api_key', provider: 'keys', subject: 'alice', api_key: apiKey });
  const token = (svc: { api_key: string }, id: string) =>
    request(broker.url).get(`/v1/connections/${id}/token`).set(bearer(svc.api_key));

  it('two services with the same subject get two connections, each untouched by the other', async () => {
    const ca = (await connect(a, 'key-of-a').expect(201)).body;
    const cb = (await connect(b, 'key-of-b').expect(201)).body;
    expect(ca.id).not.toBe(cb.id);
    expect([ca.service_id, cb.service_id]).toEqual([a.id, b.id]);
    expect((await token(a, ca.id).expect(200)).body.access_token).toBe('key-of-a');
    expect((await token(b, cb.id).expect(200)).body.access_token).toBe('key-of-b');
    // Connecting again replaces only the caller's own tokens and keeps its id.
    expect((await connect(b, 'key-of-b-2').expect(200)).body.id).toBe(cb.id);
    expect((await token(a, ca.id).expect(200)).body.access_token).toBe('key-of-a');
    for (const [method, path] of [
      ['get', `/v1/connections/${ca.id}`],
      ['get', `/v1/connections/${ca.id}/token`],
      ['post', `/v1/connections/${ca.id}/refresh`],
      ['delete', `/v1/connections/${ca.id}`],
    ] as const) {
      const res = await request(broker.url)[method](path).set(bearer(b.api_key));
      expect([path, res.status, res.body.error]).toEqual([path, 404, 'not_found']);
    }
    const listed = await request(broker.url)
      .get('/v1/connections')
      .set(bearer(b.api_key))
      .expect(200);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([cb.id]);
    // connection_access: provider sees both; the admin filters by service_id.
    const all = await request(broker.url)
      .get('/v1/connections')
      .set(bearer(shared.api_key))
      .expect(200);
    expect(all.body.data.map((c: { id: string }) => c.id).sort()).toEqual([ca.id, cb.id].sort());
    const admin = await request(broker.url)
      .get(`/admin/connections?service_id=${a.id}`)
      .set(bearer(broker.adminToken))
      .expect(200);
    expect(admin.body.data.map((c: { id: string }) => c.id)).toEqual([ca.id]);
    const events = await broker.db.prisma.webhookEvent.findMany({
      where: { type: 'connection.created' },
    });
    expect(
      events.map((e) => (e.payload as { data: { service_id: string } }).data.service_id).sort(),
    ).toEqual([a.id, b.id, b.id].sort());
  });

  it('a reconnect is 404 for another service’s connection and 410 for a revoked one', async () => {
    const mine = (await connect(a, 'k').expect(200)).body;
    const session = (svc: { api_key: string }, body: object) =>
      request(broker.url).post('/v1/connect-sessions').set(bearer(svc.api_key)).send(body);
    expect((await session(b, { connection_id: mine.id })).status).toBe(404);
    const ok = await session(a, { connection_id: mine.id }).expect(201);
    const row = await broker.db.prisma.connectSession.findUniqueOrThrow({
      where: { id: ok.body.id },
    });
    expect(row).toMatchObject({ connectionId: mine.id, subject: 'alice', providerKey: 'keys' });
    await request(broker.url)
      .delete(`/v1/connections/${mine.id}`)
      .set(bearer(a.api_key))
      .expect(204);
    const gone = await session(a, { connection_id: mine.id });
    expect([gone.status, gone.body.error]).toEqual([410, 'revoked']);
    expect((await session(a, { connection_id: mine.id, subject: 'x' })).status).toBe(400);
  });

  it('through consent too: the same subject at two services is two connections, each untouched by the other', async () => {
    const consent = async (svc: { api_key: string }) => {
      const session = await connectSession(broker, svc.api_key, {
        provider: 'hub',
        subject: 'bob',
        return_to: `${APP_ORIGIN}/connected`,
      });
      const flow = await flowUntilCallback(session.connect_url);
      return returned(await callback(flow.callbackUrl, flow.cookie)).connection_id!;
    };
    const tokensOf = async (id: string) => {
      const c = await broker.db.prisma.connection.findUniqueOrThrow({
        where: { id },
        include: { tokenSet: true },
      });
      return openTokenSet(broker.container.keyring, id, c.tokenSet!);
    };
    const ofA = await consent(a);
    const tokensA = await tokensOf(ofA);
    expect(tokensA.refreshToken).toMatch(/^rt-/);
    const ofB = await consent(b);
    expect(ofB).not.toBe(ofA);
    // B connects bob again: only B's connection changes, A's tokens are neither replaced nor revoked.
    expect(await consent(b)).toBe(ofB);
    expect(await tokensOf(ofA)).toStrictEqual(tokensA);
    expect(fake.revocations.map((r) => r.get('token'))).not.toContain(tokensA.refreshToken);
    expect((await token(a, ofA).expect(200)).body.access_token).toBe(tokensA.accessToken);
    expect((await token(b, ofB).expect(200)).body.access_token).not.toBe(tokensA.accessToken);
    await token(b, ofA).expect(404);
  });
});

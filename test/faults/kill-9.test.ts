import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker } from '../support/child-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection } from '../support/factories.js';
import { hang, okTokens, startFakeProvider, type FakeHandler } from '../support/fake-provider.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from '../connect/fake-authorization-server.js';
import { callback, cookieOf } from '../connect/helpers.js';
import { brokerClient, buildProviderAt, createService } from '../tokens/support.js';
import { pressContinue } from '../connect/helpers.js';
import { waitFor } from '../support/wait.js';
import { createTally, refreshTokenWorks } from './tally.js';

const PUBLIC_URL = 'http://broker.test';

/** Forwards a token request to the real provider (the fake recovers into a proxy). */
const proxyTo =
  (tokenEndpoint: string): FakeHandler =>
  (req, body, res) => {
    fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': String(req.headers['content-type']),
        authorization: String(req.headers.authorization ?? ''),
      },
      body,
    })
      .then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(await r.text());
      })
      .catch(() => req.socket.destroy());
  };

/** A URL of the broker's PUBLIC_URL, sent to the given replica instead. */
const at = (replica: string, url: string) => url.replace(PUBLIC_URL, replica);

/**
 * A replica dies with SIGKILL mid-operation. The row lock and the flow die with it: the
 * survivor refreshes the connection once, with the refresh token still stored, and a user
 * whose callback was cut off simply connects again. (Kill -9 during webhook delivery:
 * test/webhooks/durability.test.ts.)
 */
describe('broker killed with kill -9', () => {
  let upstream: Upstream;
  let db: TestDatabase;
  let survivor: TestBroker;
  let env: Record<string, string>;
  const tally = createTally('kill -9');

  beforeAll(async () => {
    upstream = await startUpstream({
      clients: [brokerClient],
      accessTokenTtl: 3600,
      rotateRefreshTokens: true,
    });
    db = await createTestDatabase();
    const shared = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), PUBLIC_URL };
    survivor = await startTestBroker({ db, env: shared, jobs: () => [] });
    env = {
      ...shared,
      DATABASE_URL: db.url,
      ADMIN_API_TOKEN: survivor.adminToken,
    };
  }, 30_000);
  afterAll(async () => {
    tally.print();
    await survivor.close();
    await db.drop();
    await upstream.close();
    const c = tally.counts;
    expect([c.tokensLost, c.wrongReauthorization, c.duplicateGrants]).toStrictEqual([0, 0, 0]);
  });

  it('during a refresh: the survivor refreshes once with the stored refresh token', async () => {
    tally.scenario();
    const provider = await startFakeProvider([hang]);
    const child = await startChildBroker(env);
    try {
      const p = await buildProviderAt(survivor, upstream, `${provider.url}/token`);
      const service = await createService(survivor, [p.key]);
      const issued = await upstream.issueTokens('broker', 'killed-mid-refresh');
      const conn = await buildConnection(db.prisma, survivor.container.keyring, {
        providerKey: p.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 20_000),
      });
      const read = (url: string) =>
        request(url)
          .get(`/v1/connections/${conn.id}/token?min_ttl=120`)
          .set(bearer(service.api_key));
      // The child holds the connection's lock while its refresh waits on the provider.
      read(child.url).catch(() => undefined);
      await waitFor(
        () => provider.requests.length === 1,
        10_000,
        'the refresh to reach the provider',
      );
      await child.kill9();

      provider.setScript([proxyTo(`${upstream.issuer}/token`)]);
      const before = upstream.refreshGrants();
      const res = await read(survivor.url);
      expect(res.status).toBe(200);
      expect(res.body.access_token).not.toBe(issued.access_token);
      tally.duplicateGrants(upstream.refreshGrants() - before - 1);
      expect(upstream.refreshGrants() - before).toBe(1);

      const row = await db.prisma.connection.findUniqueOrThrow({
        where: { id: conn.id },
        include: { tokenSet: true },
      });
      tally.wrongReauthorization(row.status !== 'active');
      const stored = openTokenSet(survivor.container.keyring, conn.id, row.tokenSet!);
      tally.tokenLost(
        !(await refreshTokenWorks(`${upstream.issuer}/token`, stored.refreshToken ?? '')),
      );
    } finally {
      await child.kill9().catch(() => undefined);
      await provider.close();
    }
  }, 60_000);

  it('during a consent callback: nothing half-stored, and connecting again succeeds', async () => {
    tally.scenario();
    const auth: FakeAuthorizationServer = await startFakeAuthorizationServer({
      clientId: 'fake-client',
      clientSecret: 'fake-client-secret',
    });
    const tokenEndpoint = await startFakeProvider([hang]);
    const child = await startChildBroker(env);
    try {
      await request(survivor.url)
        .post('/admin/providers')
        .set(bearer(survivor.adminToken))
        .send({
          key: 'killed-consent',
          authorization_endpoint: auth.authorizationEndpoint,
          token_endpoint: `${tokenEndpoint.url}/token`,
          client_id: 'fake-client',
          client_secret: 'fake-client-secret',
          client_auth_method: 'client_secret_post',
        })
        .expect(201);
      const service = await createService(survivor, ['killed-consent']);
      const connect = async (replica: string) => {
        const session = await request(survivor.url)
          .post('/v1/connect-sessions')
          .set(bearer(service.api_key))
          .send({ provider: 'killed-consent', subject: 'alice' })
          .expect(201);
        const start = await pressContinue(at(replica, session.body.connect_url as string));
        const back = await fetch(start.headers.get('location') ?? '', { redirect: 'manual' });
        return { cookie: cookieOf(start), callbackUrl: at(replica, back.headers.get('location')!) };
      };

      const cut = await connect(child.url);
      callback(cut.callbackUrl, cut.cookie).catch(() => undefined);
      await waitFor(() => tokenEndpoint.requests.length === 1, 10_000, 'the code exchange');
      await child.kill9();
      const half = await db.prisma.connection.findMany({
        where: { providerKey: 'killed-consent' },
        include: { tokenSet: true },
      });
      expect(half.filter((c) => c.tokenSet === null)).toStrictEqual([]);

      tokenEndpoint.setScript([okTokens()]);
      const again = await connect(survivor.url);
      const done = await callback(again.callbackUrl, again.cookie);
      expect(done.status).toBe(200);
      const rows = await db.prisma.connection.findMany({
        where: { providerKey: 'killed-consent', subject: 'alice' },
        include: { tokenSet: true },
      });
      expect(rows.map((r) => [r.status, r.tokenSet !== null])).toStrictEqual([['active', true]]);
      tally.wrongReauthorization(rows[0]?.status !== 'active');
    } finally {
      await child.kill9().catch(() => undefined);
      await tokenEndpoint.close();
      await auth.close();
    }
  }, 60_000);
});

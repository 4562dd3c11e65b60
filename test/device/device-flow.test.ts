import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../tokens/support.js';
import { bearer } from '../support/factories.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device authorization grant (RFC 8628) against oidc-provider', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let browser: Browser;
  let apiKey: string;
  let otherKey: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    upstream = await startUpstream({
      features: { deviceFlow: { enabled: true } },
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: ['http://127.0.0.1/cb'],
          grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
        },
      ],
    });
    broker = await startTestBroker({ clock });
    await request(broker.url)
      .post('/admin/providers')
      .set(bearer(broker.adminToken))
      .send({
        key: 'idp',
        issuer: upstream.issuer,
        client_id: 'broker',
        client_secret: 'broker-secret',
        scopes: ['openid', 'offline_access', 'api'],
      })
      .expect(201);
    await request(broker.url)
      .post('/admin/providers')
      .set(bearer(broker.adminToken))
      .send({ key: 'nodevice', template: 'github', client_id: 'gh', client_secret: 's' })
      .expect(201);
    await request(broker.url)
      .put('/admin/providers/nodevice')
      .set(bearer(broker.adminToken))
      .send({
        authorization_endpoint: `${upstream.issuer}/auth`,
        token_endpoint: `${upstream.issuer}/token`,
        client_id: 'gh',
        client_secret: 's',
      })
      .expect(200);
    ({ api_key: apiKey } = await createService(broker, ['idp', 'nodevice']));
    ({ api_key: otherKey } = await createService(broker, ['idp']));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
    await broker?.close();
  });

  const start = (body: object) =>
    request(broker.url).post('/v1/device-sessions').set(bearer(apiKey)).send(body);
  const read = (id: string, key = apiKey) =>
    request(broker.url).get(`/v1/device-sessions/${id}`).set(bearer(key));

  /** The user at the verification URI: confirms the code, signs in, and approves (or aborts). */
  async function actAsUser(url: string, approve: boolean, login = 'dana') {
    const page = await (await browser.newContext()).newPage();
    await page.route(/^https:\/\//, (r) => r.abort());
    await page.goto(url);
    if (!approve) {
      await page.click('button[name=abort]');
      await page.waitForLoadState();
      return;
    }
    await page.click('button[autofocus]');
    await page.waitForSelector('input[name=login]');
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('text=Sign-in Success');
  }

  /** Moves the broker's clock past the session's interval and reads it (one poll). */
  async function pollOnce(id: string) {
    const before = await read(id).expect(200);
    offsetMs += (before.body.interval as number) * 1000;
    return read(id).expect(200);
  }

  it('needs a service credential', async () => {
    await request(broker.url).post('/v1/device-sessions').send({}).expect(401);
    await request(broker.url).get('/v1/device-sessions/dev_x').expect(401);
  });

  it('polls while the user is away, then creates the connection once approved', async () => {
    const res = await start({ provider: 'idp', subject: 'tv-42' }).expect(201);
    expect(res.body).toStrictEqual({
      id: expect.stringMatching(/^dev_/),
      provider: 'idp',
      subject: 'tv-42',
      status: 'pending',
      user_code: expect.any(String),
      verification_uri: `${upstream.issuer}/device`,
      verification_uri_complete: expect.stringContaining(`${upstream.issuer}/device?user_code=`),
      interval: expect.any(Number),
      expires_at: expect.any(String),
      connection_id: null,
      error: null,
    });
    const { id } = res.body as { id: string };
    // Not due yet: the provider is not asked.
    await read(id).expect(200);
    expect(upstream.grantErrors.filter((e) => e.grant_type === DEVICE_GRANT)).toHaveLength(0);

    const waiting = await pollOnce(id);
    expect(waiting.body.status).toBe('pending');
    expect(upstream.grantErrors).toContainEqual({
      grant_type: DEVICE_GRANT,
      error: 'authorization_pending',
    });

    await actAsUser(res.body.verification_uri_complete as string, true);
    const done = await pollOnce(id);
    expect(done.body).toMatchObject({
      status: 'completed',
      connection_id: expect.stringMatching(/^conn_/),
    });

    const token = await request(broker.url)
      .get(`/v1/connections/${done.body.connection_id}/token`)
      .set(bearer(apiKey))
      .expect(200);
    expect(token.body).toMatchObject({ provider: 'idp', token_type: 'Bearer' });
    const info = await upstream.introspect('broker', 'broker-secret', token.body.access_token);
    expect(info).toMatchObject({ active: true, sub: 'dana' });
    const events = await broker.db.prisma.webhookEvent.findMany({
      where: { type: 'connection.created' },
    });
    expect(events.map((e) => (e.payload as { data: { subject: string } }).data.subject)).toContain(
      'tv-42',
    );
    // Completed sessions are not polled again.
    const grants = upstream.grants.length;
    await pollOnce(id);
    expect(upstream.grants.length).toBe(grants);
  });

  it('a second approval for the subject replaces its tokens and revokes the replaced refresh token', async () => {
    const tokensOf = async (id: string) => {
      const c = await broker.db.prisma.connection.findUniqueOrThrow({
        where: { id },
        include: { tokenSet: true },
      });
      return openTokenSet(broker.container.keyring, id, c.tokenSet!);
    };
    const active = async (t: string) =>
      (await upstream.introspect('broker', 'broker-secret', t)).active;
    const first = await start({ provider: 'idp', subject: 'tv-45' }).expect(201);
    await actAsUser(first.body.verification_uri_complete as string, true, 'erik');
    const id = (await pollOnce(first.body.id as string)).body.connection_id as string;
    const before = await tokensOf(id);
    expect(await active(before.refreshToken!)).toBe(true);

    // The set is handed to someone else, who signs in with their own account.
    const second = await start({ provider: 'idp', subject: 'tv-45' }).expect(201);
    await actAsUser(second.body.verification_uri_complete as string, true, 'frida');
    const done = await pollOnce(second.body.id as string);
    expect(done.body).toMatchObject({ status: 'completed', connection_id: id });
    const after = await tokensOf(id);
    expect(await active(before.refreshToken!)).toBe(false);
    expect(await active(after.refreshToken!)).toBe(true);
  });

  it('ends as denied when the user aborts', async () => {
    const res = await start({ provider: 'idp', subject: 'tv-43' }).expect(201);
    await actAsUser(res.body.verification_uri_complete as string, false);
    const after = await pollOnce(res.body.id as string);
    expect(after.body).toMatchObject({
      status: 'denied',
      error: 'access_denied',
      connection_id: null,
    });
  });

  it('hides a session from other services and refuses providers without a device endpoint', async () => {
    const res = await start({ provider: 'idp', subject: 'tv-44' }).expect(201);
    const hidden = await read(res.body.id as string, otherKey).expect(404);
    expect(hidden.body.error).toBe('not_found');
    const none = await start({ provider: 'nodevice', subject: 'x' }).expect(400);
    expect(none.body.error_description).toMatch(/device authorization endpoint/);
    await request(broker.url)
      .post('/v1/device-sessions')
      .set(bearer(otherKey))
      .send({ provider: 'nodevice', subject: 'x' })
      .expect(403);
  });
});

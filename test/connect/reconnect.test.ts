import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import {
  loginAndConsent,
  screenshots,
  seriousViolations,
  startConnectFixture,
  type ConnectFixture,
} from './browser-fixture.js';
import { APP_ORIGIN, connectSession } from './helpers.js';

/** Reconnect through the connect page in Chromium, against oidc-provider (which revokes). */
describe('reconnect in the browser', () => {
  let f: ConnectFixture;
  let apiKey: string;
  beforeAll(async () => {
    f = await startConnectFixture();
    ({ apiKey } = await f.service(['idp']));
  });
  afterAll(() => f.close());

  const tokensOf = async (id: string) => {
    const c = await f.broker.db.prisma.connection.findUniqueOrThrow({
      where: { id },
      include: { tokenSet: true },
    });
    return openTokenSet(f.broker.container.keyring, id, c.tokenSet!);
  };
  const active = async (token: string) =>
    (await f.upstream.introspect('broker', 'broker-secret', token)).active;

  /**
   * `subject` connects through the page as `account`; then a reconnect session is minted
   * for that connection. Returns the page, the connection, its tokens and the reconnect URL.
   */
  async function connectThenReconnect(subject: string, account: string) {
    const { page } = await f.newPage();
    const first = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject,
      return_to: `${APP_ORIGIN}/done`,
    });
    await page.goto(first.connect_url);
    await page.click('button[value=continue]');
    await loginAndConsent(page, account);
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const id = new URL(page.url()).searchParams.get('connection_id')!;
    const before = await tokensOf(id);
    const again = await request(f.broker.url)
      .post('/v1/connect-sessions')
      .set('Authorization', `Bearer ${apiKey}`)
      .send({ connection_id: id, return_to: `${APP_ORIGIN}/done` })
      .expect(201);
    return { page, id, before, reconnectUrl: again.body.connect_url as string };
  }

  it('keeps the id, emits reconnected: true, and revokes the replaced refresh token of another account', async () => {
    const { page, id, before, reconnectUrl } = await connectThenReconnect('rita', 'rita');
    // A fresh browser, and the user signs in with another account of theirs this time.
    const { page: later } = await f.newPage();
    await later.goto(reconnectUrl);
    expect(await later.textContent('h1')).toBe('Reconnect Test IdP to Acme CRM');
    await screenshots(later, 'reconnect');
    expect(await seriousViolations(later)).toEqual([]);
    await later.click('button[value=continue]');
    await loginAndConsent(later, 'rita-at-work');
    await later.waitForURL(`${APP_ORIGIN}/**`);
    expect(Object.fromEntries(new URL(later.url()).searchParams)).toStrictEqual({
      status: 'success',
      connection_id: id,
    });

    const after = await tokensOf(id);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await active(before.refreshToken!)).toBe(false);
    expect(await active(after.refreshToken!)).toBe(true);
    expect(await active(after.accessToken)).toBe(true);
    const events = await f.broker.db.prisma.webhookEvent.findMany({
      where: { type: 'connection.created' },
      orderBy: { createdAt: 'asc' },
    });
    const data = events.map((e) => (e.payload as { data: { connection_id: string } }).data);
    expect(data.filter((d) => d.connection_id === id)).toStrictEqual([
      {
        connection_id: id,
        service_id: expect.any(String),
        provider: 'idp',
        subject: 'rita',
        status: 'active',
      },
      {
        connection_id: id,
        service_id: expect.any(String),
        provider: 'idp',
        subject: 'rita',
        status: 'active',
        reconnected: true,
      },
    ]);
    await page.context().close();
    await later.context().close();
  });

  // Regression: the broker revoked the replaced refresh token, and oidc-provider (like Google)
  // revoked the whole grant with it, the new tokens included.
  it('a reconnect of the same account, whose grant the provider reuses, keeps the new tokens working', async () => {
    const { page, id, before, reconnectUrl } = await connectThenReconnect('sam', 'sam');
    await page.goto(reconnectUrl);
    await page.click('button[value=continue]');
    // Still signed in at the provider: only its consent prompt.
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const after = await tokensOf(id);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(await active(after.refreshToken!)).toBe(true);
    expect(await active(after.accessToken)).toBe(true);
    const token = await request(f.broker.url)
      .post(`/v1/connections/${id}/refresh`)
      .set('Authorization', `Bearer ${apiKey}`)
      .expect(200);
    expect(await active(token.body.access_token)).toBe(true);
    await page.context().close();
  });
});

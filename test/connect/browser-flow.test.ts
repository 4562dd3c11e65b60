import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { APP_ORIGIN, connectSession, createService } from './helpers.js';
import { registerProvider } from '../support/factories.js';

describe('consent flow in headless Chromium against oidc-provider', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let browser: Browser;
  let apiKey: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: [`${broker.container.config.publicUrl}/oauth/callback`],
        },
      ],
    });
    await registerProvider(broker, {
      key: 'idp',
      display_name: 'Test IdP',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access', 'api'],
      authorization_params: { prompt: 'consent' },
    });
    // The same server as a plain OAuth 2.0 provider: explicit endpoints, no discovery, no openid.
    await registerProvider(broker, {
      key: 'plain',
      display_name: 'Plain OAuth',
      authorization_endpoint: `${upstream.issuer}/auth`,
      token_endpoint: `${upstream.issuer}/token`,
      revocation_endpoint: `${upstream.issuer}/token/revocation`,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['api'],
    });
    ({ apiKey } = await createService(broker, ['idp', 'plain']));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
    await broker?.close();
  });

  /** A fresh browser whose requests to the app are answered locally and to the internet refused. */
  async function newPage(): Promise<{ page: Page; callbacks: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.route(`${APP_ORIGIN}/**`, (r) =>
      r.fulfill({ contentType: 'text/html', body: '<h1>App</h1>' }),
    );
    await page.route(/^https:\/\/(?!app\.example\.com)/, (r) => r.abort());
    const callbacks: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/oauth/callback')) callbacks.push(r.url());
    });
    return { page, callbacks };
  }

  /** Signs in and consents on oidc-provider's development interaction pages. */
  async function loginAndConsent(page: Page, login: string) {
    await page.waitForSelector('input[name=login]');
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForURL(`${APP_ORIGIN}/**`);
  }

  it('connects through login and consent (discovery, PAR, OIDC); the stored access token is active', async () => {
    const session = await connectSession(broker, apiKey, {
      provider: 'idp',
      subject: 'alice@acme',
      return_to: `${APP_ORIGIN}/settings/integrations`,
    });
    const { page, callbacks } = await newPage();
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));
    await page.goto(session.connect_url);
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'alice');

    const back = new URL(page.url());
    expect(back.pathname).toBe('/settings/integrations');
    expect(back.searchParams.get('status')).toBe('success');
    const id = back.searchParams.get('connection_id')!;
    // PAR: the browser carried only request_uri to the authorization endpoint.
    const authorize = new URL(seen.find((u) => u.startsWith(`${upstream.issuer}/auth?`))!);
    expect(authorize.searchParams.get('request_uri')).toMatch(
      /^urn:ietf:params:oauth:request_uri:/,
    );
    expect(authorize.searchParams.get('code_challenge')).toBeNull();

    const c = await broker.db.prisma.connection.findUniqueOrThrow({
      where: { id },
      include: { tokenSet: true },
    });
    expect(c).toMatchObject({ providerKey: 'idp', subject: 'alice@acme', status: 'active' });
    expect(c.scopes).toEqual(expect.arrayContaining(['openid', 'offline_access', 'api']));
    const tokens = openTokenSet(broker.container.keyring, id, c.tokenSet!);
    expect(tokens.refreshToken).toEqual(expect.any(String));
    expect(tokens.idToken).toEqual(expect.any(String));
    expect(Buffer.from(c.tokenSet!.accessToken).toString('latin1')).not.toContain(
      tokens.accessToken,
    );
    expect((await upstream.introspect('broker', 'broker-secret', tokens.accessToken)).active).toBe(
      true,
    );

    // Replaying the callback (same state, same code) in the same browser is refused.
    const replay = await page.goto(callbacks[0]!);
    expect(replay?.status()).toBe(400);
    // The binding cookie was cleared when the flow ended, so the replay is not this browser's.
    expect(await page.textContent('h1')).toBe('Finish in the browser you started in');
    const after = await broker.db.prisma.tokenSet.findUniqueOrThrow({
      where: { connectionId: id },
    });
    expect(after.version).toBe(c.tokenSet!.version);
    for (const secret of [
      tokens.accessToken,
      tokens.refreshToken!,
      new URL(callbacks[0]!).searchParams.get('code')!,
    ]) {
      expect(broker.logs.text).not.toContain(secret);
    }
    await page.context().close();
  });

  it('connects a plain OAuth 2.0 provider (explicit endpoints, no ID token)', async () => {
    const session = await connectSession(broker, apiKey, { provider: 'plain', subject: 'bob' });
    const { page } = await newPage();
    await page.goto(session.connect_url);
    await page.click('button[value=continue]');
    await page.waitForSelector('input[name=login]');
    await page.fill('input[name=login]', 'bob');
    await page.fill('input[name=password]', 'pw');
    await page.click('button[type=submit]');
    await page.waitForSelector('button:has-text("Continue")');
    await page.click('button:has-text("Continue")');
    await page.waitForSelector('h1:has-text("connected")');
    expect(await page.textContent('h1')).toBe('Plain OAuth is connected to Acme CRM');
    const c = await broker.db.prisma.connection.findFirstOrThrow({
      where: { providerKey: 'plain', subject: 'bob' },
      include: { tokenSet: true },
    });
    const tokens = openTokenSet(broker.container.keyring, c.id, c.tokenSet!);
    expect(tokens.idToken).toBeUndefined();
    expect(c.scopes).toEqual(['api']);
    expect((await upstream.introspect('broker', 'broker-secret', tokens.accessToken)).active).toBe(
      true,
    );
    await page.context().close();
  });

  it('cancelling at the provider returns status=error&error=access_denied and stores nothing', async () => {
    const session = await connectSession(broker, apiKey, {
      provider: 'idp',
      subject: 'carol',
      return_to: `${APP_ORIGIN}/done`,
    });
    const { page } = await newPage();
    await page.goto(session.connect_url);
    await page.click('button[value=continue]');
    await page.waitForSelector('input[name=login]');
    await page.click('text=[ Cancel ]');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const back = new URL(page.url());
    expect(Object.fromEntries(back.searchParams)).toStrictEqual({
      status: 'error',
      error: 'access_denied',
    });
    expect(await broker.db.prisma.connection.findFirst({ where: { subject: 'carol' } })).toBeNull();
    await page.context().close();
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import request from 'supertest';
import {
  loginAndConsent,
  screenshots,
  seriousViolations,
  startConnectFixture,
  type ConnectFixture,
} from './browser-fixture.js';
import { APP_ORIGIN, connectSession } from './helpers.js';

/**
 * The app's page, served by a real server on another site than the broker (127.0.0.1 vs
 * the broker's localhost): it loads the broker's /connect.js and, on a click, runs
 * `TokenBroker.connect(url)`, keeping how the promise settled in `window.outcome`.
 */
const appHtml = (brokerOrigin: string) => `<!doctype html>
<html lang="en"><head><title>Acme CRM</title><script src="${brokerOrigin}/connect.js"></script></head>
<body><main><h1>Integrations</h1><button id="connect" type="button">Connect</button></main>
<script>
  document.getElementById('connect').addEventListener('click', function () {
    TokenBroker.connect(window.connectUrl).then(
      function (r) { window.outcome = { resolved: r }; },
      function (e) { window.outcome = { rejected: e }; });
  });
</script></body></html>`;

interface BrokerPage {
  path: string;
  status: number;
  coop: string | undefined;
}

type Outcome = { resolved?: Record<string, string>; rejected?: Record<string, string> };

describe('popup mode with a real opener page in Chromium', () => {
  let f: ConnectFixture;
  let app: Server;
  let appOrigin: string;
  let apiKey: string;
  let brokerOrigin: string;

  beforeAll(async () => {
    f = await startConnectFixture();
    brokerOrigin = new URL(f.broker.container.config.publicUrl).origin;
    app = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(appHtml(brokerOrigin));
    });
    await new Promise<void>((ok) => app.listen(0, '127.0.0.1', ok));
    appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    ({ apiKey } = await f.service(['idp'], { allowed_return_to: [appOrigin, APP_ORIGIN] }));
  });
  afterAll(async () => {
    await f.close();
    await new Promise((ok) => app.close(ok));
  });

  /** The app's page in a fresh browser, and every broker page (or redirect) its popup gets. */
  async function openApp() {
    const { page, context } = await f.newPage();
    const brokerPages: Promise<BrokerPage>[] = [];
    context.on('response', (r) => {
      if (!r.url().startsWith(brokerOrigin) || r.request().resourceType() !== 'document') return;
      // Read at once: the popup closes itself when the flow ends.
      brokerPages.push(
        (async () => ({
          path: new URL(r.url()).pathname.split('/')[1] ?? '',
          status: r.status(),
          coop: (await r.allHeaders())['cross-origin-opener-policy'],
        }))(),
      );
    });
    await page.goto(`${appOrigin}/settings/integrations`);
    return { page, context, brokerPages };
  }

  /** Clicks the app's Connect button: the popup the helper opened. */
  async function clickConnect(page: Page, connectUrl: string) {
    await page.evaluate((u) => {
      (globalThis as unknown as { connectUrl: string }).connectUrl = u;
    }, connectUrl);
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#connect')]);
    await popup.waitForLoadState();
    return popup;
  }

  const outcomeOf = async (page: Page): Promise<Outcome> =>
    (
      await page.waitForFunction(() => (globalThis as unknown as { outcome?: Outcome }).outcome)
    ).jsonValue() as Promise<Outcome>;

  it('consent in the popup resolves the promise with the connection, and the popup closes', async () => {
    const s = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject: 'polly',
      return_to: `${appOrigin}/connected`,
    });
    const { page, context, brokerPages } = await openApp();
    const popup = await clickConnect(page, s.connect_url);
    expect(new URL(popup.url()).searchParams.get('display')).toBe('popup');
    expect(await popup.textContent('h1')).toBe('Connect Test IdP to Acme CRM');
    const closed = popup.waitForEvent('close');
    await popup.click('button[value=continue]');
    await loginAndConsent(popup, 'polly');
    await closed;

    const outcome = await outcomeOf(page);
    expect(outcome).toStrictEqual({
      resolved: { status: 'success', connection_id: expect.stringMatching(/^conn_/) },
    });
    const c = await f.broker.db.prisma.connection.findUniqueOrThrow({
      where: { id: outcome.resolved!.connection_id! },
    });
    expect(c).toMatchObject({ subject: 'polly', providerKey: 'idp', status: 'active' });

    // Every page and redirect of the popup flow keeps the opener.
    const pages = await Promise.all(brokerPages);
    expect(pages).toStrictEqual([
      { path: 'connect', status: 200, coop: 'unsafe-none' },
      { path: 'connect', status: 303, coop: 'unsafe-none' },
      { path: 'oauth', status: 200, coop: 'unsafe-none' },
    ]);
    await context.close();
  });

  it('Cancel in the popup rejects the promise with access_denied and stores nothing', async () => {
    const s = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject: 'quinn',
      return_to: `${appOrigin}/connected`,
    });
    const { page, context } = await openApp();
    const popup = await clickConnect(page, s.connect_url);
    await screenshots(popup, 'popup-consent');
    expect(await seriousViolations(popup)).toEqual([]);
    const closed = popup.waitForEvent('close');
    await popup.click('button[value=cancel]');
    await closed;
    expect(await outcomeOf(page)).toStrictEqual({
      rejected: { status: 'error', error: 'access_denied' },
    });
    expect(await f.broker.db.prisma.connection.count({ where: { subject: 'quinn' } })).toBe(0);
    await context.close();
  });

  it('with the app handshake the promise gets the code, which the app completes with its verifier', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const s = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject: 'rosa',
      return_to: `${appOrigin}/connected`,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    const { page, context } = await openApp();
    const popup = await clickConnect(page, s.connect_url);
    const closed = popup.waitForEvent('close');
    await popup.click('button[value=continue]');
    await loginAndConsent(popup, 'rosa');
    await closed;
    const outcome = await outcomeOf(page);
    expect(outcome).toStrictEqual({
      resolved: { status: 'success', connect_session_id: s.id, code: expect.any(String) },
    });
    expect(await f.broker.db.prisma.connection.count({ where: { subject: 'rosa' } })).toBe(0);
    const done = await request(f.broker.url)
      .post(`/v1/connect-sessions/${s.id}/complete`)
      .set('Authorization', `Bearer ${apiKey}`)
      .send({ code: outcome.resolved!.code, code_verifier: verifier })
      .expect(200);
    expect(done.body).toMatchObject({ provider: 'idp', subject: 'rosa', status: 'active' });
    await context.close();
  });

  it('an opener on another origin than return_to never hears the outcome', async () => {
    const s = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject: 'sasha',
      return_to: `${APP_ORIGIN}/connected`,
    });
    const { page, context } = await openApp();
    const popup = await clickConnect(page, s.connect_url);
    const closed = popup.waitForEvent('close');
    await popup.click('button[value=cancel]');
    await closed;
    // The browser dropped the message (target origin https://app.example.com); the helper
    // only sees its popup close.
    expect(await outcomeOf(page)).toStrictEqual({
      rejected: { status: 'error', error: 'popup_closed' },
    });
    await context.close();
  });

  it('opened without an opener, the last page stays and says what happened', async () => {
    const s = await connectSession(f.broker, apiKey, {
      provider: 'idp',
      subject: 'tara',
      return_to: `${appOrigin}/connected`,
    });
    const { page, context } = await f.newPage();
    await page.goto(`${s.connect_url}?display=popup`);
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'tara');
    await page.waitForSelector('h1:has-text("connected")');
    expect(await page.textContent('h1')).toBe('Test IdP is connected');
    // What it would have posted, and to which origin only: return_to's.
    const result = page.locator('#popup-result');
    expect(await result.getAttribute('data-target-origin')).toBe(appOrigin);
    expect(JSON.parse((await result.getAttribute('data-result'))!)).toStrictEqual({
      status: 'success',
      connection_id: expect.stringMatching(/^conn_/),
    });
    await screenshots(page, 'popup-end');
    expect(await seriousViolations(page)).toEqual([]);
    await context.close();
  });

  it('only the popup flow loosens Cross-Origin-Opener-Policy, and nothing else', async () => {
    const s = await connectSession(f.broker, apiKey, { provider: 'idp', subject: 'uma' });
    const headersOf = async (url: string) => {
      const res = await fetch(url);
      const h = Object.fromEntries(res.headers);
      for (const varying of ['date', 'set-cookie', 'content-length', 'etag', 'x-request-id']) {
        delete h[varying];
      }
      return h;
    };
    const page = await headersOf(s.connect_url);
    const popup = await headersOf(`${s.connect_url}?display=popup`);
    expect(page['cross-origin-opener-policy']).toBe('same-origin');
    expect(popup).toStrictEqual({
      ...page,
      'cross-origin-opener-policy': 'unsafe-none',
      'content-security-policy': `${page['content-security-policy']};script-src 'self'`,
    });
    const script = await fetch(`${brokerOrigin}/connect.js`);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  });
});

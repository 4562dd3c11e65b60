import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import {
  loginAndConsent,
  screenshots,
  seriousViolations,
  startConnectFixture,
  type ConnectFixture,
} from './browser-fixture.js';
import { APP_ORIGIN, connectSession, openConnectPage, postConnectForm } from './helpers.js';
import { registerProvider } from '../support/factories.js';

/** The connect page in Chromium: what it shows, Continue, Cancel, the picker, the static form. */
describe('the connect page (Chromium, oidc-provider upstream)', () => {
  let f: ConnectFixture;
  let apiKey: string;
  const NOTION_SECRET = `ntn_${'a1B2c3D4'.repeat(4)}`;

  beforeAll(async () => {
    f = await startConnectFixture();
    await registerProvider(f.broker, {
      key: 'keys',
      display_name: 'KeyCorp',
      auth_mode: 'api_key',
    });
    await registerProvider(f.broker, {
      key: 'notion-keys',
      template: 'notion',
      auth_mode: 'api_key',
    });
    await registerProvider(f.broker, {
      key: 'legacy',
      display_name: 'Legacy ERP',
      auth_mode: 'basic',
    });
    // `ghost` enters the policy while registered, then is deleted: a policy may outlive a provider.
    await registerProvider(f.broker, { key: 'ghost', auth_mode: 'api_key' });
    ({ apiKey } = await f.service(['idp', 'keys', 'notion-keys', 'legacy', 'ghost']));
    await f.broker.container.db.prisma.provider.delete({ where: { key: 'ghost' } });
  });
  afterAll(() => f.close());

  const session = (body: object) => connectSession(f.broker, apiKey, body);
  const row = (id: string) =>
    f.broker.db.prisma.connectSession.findUniqueOrThrow({ where: { id } });

  it('names the service, provider and scopes; GET and HEAD never spend the session', async () => {
    const s = await session({ provider: 'idp', subject: 'alice', return_to: `${APP_ORIGIN}/done` });
    await request(f.broker.url).head(new URL(s.connect_url).pathname).expect(200);
    const { page } = await f.newPage();
    for (let i = 0; i < 2; i++) await page.goto(s.connect_url);
    expect(await page.textContent('h1')).toBe('Connect Test IdP to Acme CRM');
    expect(await page.locator('.scopes li').allTextContents()).toEqual([
      'openid',
      'offline_access',
      'api',
    ]);
    expect((await row(s.id)).usedAt).toBeNull();
    await screenshots(page, 'consent');
    expect(await seriousViolations(page)).toEqual([]);
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'alice');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const back = new URL(page.url());
    expect(back.searchParams.get('status')).toBe('success');
    const c = await f.broker.db.prisma.connection.findUniqueOrThrow({
      where: { id: back.searchParams.get('connection_id')! },
    });
    expect(c).toMatchObject({ subject: 'alice', providerKey: 'idp', status: 'active' });
    // The link, opened again, says it already connected instead of "start again".
    await page.goto(s.connect_url);
    expect(await page.textContent('h1')).toBe('Already connected');
    expect(await page.textContent('main')).toContain(
      'already connected your Test IdP account to Acme CRM',
    );
    await page.context().close();
  });

  it('works without JavaScript: Continue is a plain form post', async () => {
    const s = await session({ provider: 'idp', subject: 'nojs', return_to: `${APP_ORIGIN}/done` });
    const context = await f.browser.newContext({ javaScriptEnabled: false });
    await context.route(`${APP_ORIGIN}/**`, (r) =>
      r.fulfill({ contentType: 'text/html', body: 'ok' }),
    );
    const page = await context.newPage();
    await page.goto(s.connect_url);
    await page.click('button[value=continue]');
    await page.waitForURL(`${f.upstream.issuer}/**`);
    expect((await row(s.id)).usedAt).not.toBeNull();
    await context.close();
  });

  it('Cancel goes back to return_to with status=error&error=access_denied and stores nothing', async () => {
    const s = await session({ provider: 'idp', subject: 'carol', return_to: `${APP_ORIGIN}/done` });
    const { page } = await f.newPage();
    await page.goto(s.connect_url);
    await page.click('button[value=cancel]');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toStrictEqual({
      status: 'error',
      error: 'access_denied',
    });
    expect(
      await f.broker.db.prisma.connection.findFirst({ where: { subject: 'carol' } }),
    ).toBeNull();
    await page.context().close();
  });

  it('refuses a tampered or missing CSRF token with a page; the session stays unspent', async () => {
    const s = await session({ provider: 'idp', subject: 'dave', return_to: `${APP_ORIGIN}/done` });
    const { csrf, cookie } = await openConnectPage(s.connect_url);
    for (const fields of [{ csrf: `${csrf.slice(0, -2)}xx` }, {}, { csrf: 'x'.repeat(500) }]) {
      const res = await postConnectForm(s.connect_url, cookie, fields);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('Please try again');
    }
    // Another browser's cookie with this page's token: refused too.
    const other = await openConnectPage(s.connect_url);
    expect((await postConnectForm(s.connect_url, other.cookie, { csrf })).status).toBe(403);
    expect((await row(s.id)).usedAt).toBeNull();
    const ok = await postConnectForm(s.connect_url, cookie, { csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toContain(f.upstream.issuer);
  });

  it('a double submit is told the link was used; a session expiring before the POST is refused', async () => {
    const s = await session({ provider: 'idp', subject: 'erin', return_to: `${APP_ORIGIN}/done` });
    const { csrf, cookie } = await openConnectPage(s.connect_url);
    const [a, b] = await Promise.all([
      postConnectForm(s.connect_url, cookie, { csrf }),
      postConnectForm(s.connect_url, cookie, { csrf }),
    ]);
    expect([a.status, b.status].sort()).toEqual([303, 410]);
    expect(await f.broker.db.prisma.oAuthFlow.count({ where: { connectSessionId: s.id } })).toBe(1);

    const late = await session({
      provider: 'idp',
      subject: 'erin',
      return_to: `${APP_ORIGIN}/done`,
    });
    const opened = await openConnectPage(late.connect_url);
    await f.broker.db.prisma.connectSession.update({
      where: { id: late.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    const res = await postConnectForm(late.connect_url, opened.cookie, { csrf: opened.csrf });
    expect(res.status).toBe(410);
    const text = await res.text();
    expect(text).toContain('This link has expired');
    expect(text).toContain(`${APP_ORIGIN}/done?status=error&amp;error=expired`);
    expect(await f.broker.db.prisma.oAuthFlow.count({ where: { connectSessionId: late.id } })).toBe(
      0,
    );
  });

  it('error pages speak plainly and offer the way back to return_to', async () => {
    const { page } = await f.newPage();
    page.setDefaultTimeout(8000);
    const res = await page.goto(`${f.broker.url}/connect/tbc_${'x'.repeat(43)}`);
    expect(res?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('This link doesn’t work');
    await screenshots(page, 'error-unknown');
    expect(await seriousViolations(page)).toEqual([]);
    const s = await session({ provider: 'idp', subject: 'late', return_to: `${APP_ORIGIN}/done` });
    await f.broker.db.prisma.connectSession.update({
      where: { id: s.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    await page.goto(s.connect_url);
    expect(await page.textContent('h1')).toBe('This link has expired');
    await screenshots(page, 'error-expired');
    expect(await page.getAttribute('a:has-text("Back to Acme CRM")', 'href')).toBe(
      `${APP_ORIGIN}/done?status=error&error=expired`,
    );
    await page.context().close();
  });

  it('the picker lists the service’s providers; an unknown or disallowed one is refused', async () => {
    const s = await session({ subject: 'frank', return_to: `${APP_ORIGIN}/done` });
    const { page } = await f.newPage();
    await page.goto(s.connect_url);
    expect(await page.textContent('h1')).toBe('Connect an account to Acme CRM');
    // `ghost` is in the policy but not registered: not offered.
    expect(await page.locator('.choices a').allTextContents()).toEqual([
      'KKeyCorp',
      'LLegacy ERP',
      'NNotion',
      'TTest IdP',
    ]);
    await screenshots(page, 'picker');
    expect(await seriousViolations(page)).toEqual([]);
    for (const bad of ['ghost', 'nope', 'idp%00']) {
      const res = await page.goto(`${s.connect_url}?provider=${bad}`);
      expect(res?.status()).toBe(400);
      expect(await page.textContent('h1')).toBe('That choice is not available');
    }
    await page.goto(s.connect_url);
    await page.click('text=Test IdP');
    expect(await page.textContent('h1')).toBe('Connect Test IdP to Acme CRM');
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'frank');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const id = new URL(page.url()).searchParams.get('connection_id')!;
    expect(await f.broker.db.prisma.connection.findUniqueOrThrow({ where: { id } })).toMatchObject({
      providerKey: 'idp',
      subject: 'frank',
    });
    // A forged post for a provider outside the policy stores nothing and spends nothing.
    const t = await session({ subject: 'gina' });
    const opened = await openConnectPage(t.connect_url);
    const res = await postConnectForm(t.connect_url, opened.cookie, {
      csrf: opened.csrf,
      provider: 'slack',
    });
    expect(res.status).toBe(400);
    expect((await row(t.id)).usedAt).toBeNull();
    await page.context().close();
  });

  it('the static-credential form stores the key encrypted and never echoes or logs it', async () => {
    const s = await session({
      provider: 'notion-keys',
      subject: 'hana',
      return_to: `${APP_ORIGIN}/done`,
    });
    const { page } = await f.newPage();
    await page.goto(s.connect_url);
    expect(await page.textContent('h1')).toBe('Connect Notion to Acme CRM');
    await screenshots(page, 'static-form');
    expect(await seriousViolations(page)).toEqual([]);
    const wrong = 'sk-live-not-a-notion-secret-1234567890';
    await page.fill('#api_key', wrong);
    await page.click('button[value=continue]');
    expect(await page.textContent('[role=alert]')).toContain(
      'does not look like a valid Internal integration secret',
    );
    expect(await page.inputValue('#api_key')).toBe('');
    expect(await page.content()).not.toContain(wrong);
    await screenshots(page, 'static-form-error');
    expect((await row(s.id)).usedAt).toBeNull();
    await page.fill('#api_key', NOTION_SECRET);
    await page.click('button[value=continue]');
    await page.waitForURL(`${APP_ORIGIN}/**`);
    const id = new URL(page.url()).searchParams.get('connection_id')!;
    const c = await f.broker.db.prisma.connection.findUniqueOrThrow({
      where: { id },
      include: { tokenSet: true },
    });
    expect(c).toMatchObject({ authType: 'api_key', subject: 'hana' });
    expect(openTokenSet(f.broker.container.keyring, id, c.tokenSet!).accessToken).toBe(
      NOTION_SECRET,
    );
    expect(Buffer.from(c.tokenSet!.accessToken).toString('latin1')).not.toContain(NOTION_SECRET);
    for (const secret of [NOTION_SECRET, wrong]) expect(f.broker.logs.text).not.toContain(secret);
    await page.context().close();
  });

  it('the static form refuses missing and oversized fields, shown again empty with the reason', async () => {
    const s = await session({ provider: 'legacy', subject: 'ivan' });
    const { csrf, cookie } = await openConnectPage(s.connect_url);
    const cases: [Record<string, string>, string][] = [
      [{ username: 'ivan' }, 'Enter both the user name and the password.'],
      [{ username: 'ivan', password: 'p'.repeat(9000) }, 'longer than any valid credential'],
      [{ username: 'a:b', password: 'pw' }, 'cannot contain'],
    ];
    for (const [fields, reason] of cases) {
      const res = await postConnectForm(s.connect_url, cookie, { csrf, ...fields });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(reason);
      expect(html).not.toContain('p'.repeat(100));
      expect(html).not.toMatch(/value="ivan"/);
    }
    const key = await session({ provider: 'keys', subject: 'ivan' });
    const k = await openConnectPage(key.connect_url);
    const big = await postConnectForm(key.connect_url, k.cookie, {
      csrf: k.csrf,
      api_key: 'k'.repeat(8193),
    });
    expect(big.status).toBe(400);
    expect((await row(s.id)).usedAt).toBeNull();
    expect(await f.broker.db.prisma.connection.count({ where: { subject: 'ivan' } })).toBe(0);
    const ok = await postConnectForm(s.connect_url, cookie, {
      csrf,
      username: 'ivan',
      password: 'pw',
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Legacy ERP is connected to Acme CRM');
  });
});

import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import type { Upstream } from '../support/upstream.js';
import { isActive, startBrokerAndUpstream, upstreamConnection } from '../connections/fixtures.js';

/** Signs in over plain HTTP and returns the session cookie and its CSRF token. */
async function signIn(broker: TestBroker): Promise<{ cookie: string; csrf: string }> {
  const form = await request(broker.url).get('/console').expect(200);
  const signInCookie = String(form.headers['set-cookie']?.[0]).split(';')[0] ?? '';
  const formCsrf = /name="csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
  const res = await request(broker.url)
    .post('/console/sign-in')
    .set('Cookie', signInCookie)
    .type('form')
    .send({ csrf: formCsrf, token: broker.adminToken })
    .expect(303);
  const session = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
    c.startsWith('tb_console='),
  );
  const cookie = String(session).split(';')[0] ?? '';
  const page = await request(broker.url).get('/console/connections').set('Cookie', cookie);
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '' };
}

describe('admin console', () => {
  let upstream: Upstream;
  let broker: TestBroker;
  let providerKey: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ upstream, broker, providerKey, close } = await startBrokerAndUpstream());
  });
  afterAll(() => close());

  it.each([
    '/console/connections',
    '/console/connections/conn_x',
    '/console/connections/conn_x/revoke',
    '/console/providers',
    '/console/services',
  ])('%s sends a browser without a session to the sign-in page', async (path) => {
    const res = await request(broker.url).get(path).expect(303);
    expect(res.headers.location).toBe('/console');
    const forged = await request(broker.url)
      .get(path)
      .set('Cookie', 'tb_console=eyJuIjoieCIsImV4cCI6OTk5OTk5OTk5OTk5OX0.forged')
      .expect(303);
    expect(forged.headers.location).toBe('/console');
  });

  it('shows the sign-in page without a session', async () => {
    const res = await request(broker.url).get('/console').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('name="token"');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('signing out ends the session on the server: the old cookie no longer opens a page', async () => {
    const { cookie, csrf } = await signIn(broker);
    await request(broker.url).get('/console/connections').set('Cookie', cookie).expect(200);
    await request(broker.url)
      .post('/console/sign-out')
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf })
      .expect(303);
    // A copy of the cookie taken before the sign-out (the browser forgot its own).
    const page = await request(broker.url).get('/console/connections').set('Cookie', cookie);
    expect(page.status).toBe(303);
    expect(page.headers.location).toBe('/console');
    await request(broker.url)
      .post('/console/sign-out')
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf })
      .expect(403);
    const home = await request(broker.url).get('/console').set('Cookie', cookie).expect(200);
    expect(home.text).toContain('name="token"');
  });

  it('answers 403 to a form posted without a valid CSRF token, and does nothing', async () => {
    const { prisma } = broker.container.db;
    const { connection } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      providerKey,
      'csrf-target',
    );
    const { cookie, csrf } = await signIn(broker);
    expect(csrf).not.toBe('');
    const path = `/console/connections/${connection.id}/revoke`;
    const missing = await request(broker.url)
      .post(path)
      .set('Cookie', cookie)
      .type('form')
      .send({});
    expect(missing.status).toBe(403);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
    expect(missing.text).toContain('did not come from the console');
    const other = await signIn(broker);
    await request(broker.url)
      .post(path)
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf: other.csrf })
      .expect(403);
    await request(broker.url).post(path).type('form').send({ csrf }).expect(403);
    await request(broker.url)
      .post('/console/sign-in')
      .type('form')
      .send({ csrf: 'x', token: broker.adminToken })
      .expect(403);
    const row = await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } });
    expect(row.status).toBe('active');

    await request(broker.url)
      .post(path)
      .set('Cookie', cookie)
      .type('form')
      .send({ csrf })
      .expect(303);
    expect(
      (await prisma.connection.findUniqueOrThrow({ where: { id: connection.id } })).status,
    ).toBe('revoked');
  });

  it('in Chromium: sign in, filter, open a connection, revoke it with confirmation', async () => {
    const { prisma } = broker.container.db;
    const { connection, tokens } = await upstreamConnection(
      prisma,
      broker.container.keyring,
      upstream,
      providerKey,
      'erin@example.com',
    );
    await upstreamConnection(prisma, broker.container.keyring, upstream, providerKey, 'frank');
    await broker.container.services.create({
      name: 'billing',
      allowedProviders: [providerKey],
      allowedReturnTo: ['https://billing.example'],
    });

    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      const cspViolations: string[] = [];
      page.on('console', (m) => {
        if (m.text().includes('Content Security Policy')) cspViolations.push(m.text());
      });

      await page.goto(`${broker.url}/console/connections`);
      expect(new URL(page.url()).pathname).toBe('/console');
      await page.fill('#token', 'wrong-token-wrong-token-wrong');
      await page.click('button[type=submit]');
      expect(await page.textContent('[role=alert]')).toContain('not the admin API token');

      await page.fill('#token', broker.adminToken);
      await page.click('button[type=submit]');
      expect(new URL(page.url()).pathname).toBe('/console/overview');
      await page.click('nav >> text=Connections');
      const [session] = (await context.cookies()).filter((c) => c.name === 'tb_console');
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });

      await page.fill('input[name=subject]', 'erin@example.com');
      await page.selectOption('select[name=status]', 'active');
      await page.click('form.filters button');
      expect(new URL(page.url()).searchParams.get('subject')).toBe('erin@example.com');
      const rows = page.locator('tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('.badge').textContent()).toBe('active');

      await page.click(`a[href="/console/connections/${connection.id}"]`);
      expect(await page.textContent('h1 .badge')).toBe('active');
      await page.click('text=Revoke…');
      expect(new URL(page.url()).pathname).toBe(`/console/connections/${connection.id}/revoke`);
      expect(await page.textContent('h1')).toContain('Revoke connection');
      await page.click('button.danger');

      expect(new URL(page.url()).pathname).toBe(`/console/connections/${connection.id}`);
      expect(await page.textContent('h1 .badge')).toBe('revoked');
      expect(await page.textContent('[role=status]')).toBe('Connection revoked.');
      expect(await page.textContent('table')).toContain('connection.revoke');
      await mkdir('test-artifacts', { recursive: true });
      await page.screenshot({ path: 'test-artifacts/console.png', fullPage: true });
      expect(await isActive(upstream, tokens.refresh_token)).toBe(false);

      await page.click('text=Providers');
      expect(await page.textContent('table')).toContain(providerKey);
      await page.click('text=Services');
      expect(await page.textContent('table')).toContain('billing');
      const content = await page.content();
      expect(content).not.toContain('broker-secret');
      expect(content).not.toMatch(/tbk_/);

      await page.click('text=Sign out');
      expect(new URL(page.url()).pathname).toBe('/console');
      await page.goto(`${broker.url}/console/connections`);
      expect(new URL(page.url()).pathname).toBe('/console');
      expect(cspViolations).toEqual([]);
    } finally {
      await browser?.close();
    }
  });
});

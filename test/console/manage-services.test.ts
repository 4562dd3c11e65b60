import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import { fakeConnection } from '../connections/fixtures.js';
import { looksRight, openSignedInConsole, signIn, submit } from './chromium.js';

/** Chromium, screenshots and axe-core on a busy 2-core machine. */
jest.setTimeout(120_000);

/** The console's service pages, end to end in Chromium, checked through the admin API. */
describe('console: creating and changing services', () => {
  let broker: TestBroker;
  let browser: Browser;
  let page: Page;
  let serviceId = '';
  let firstKey = '';
  let firstSecret = '';
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  const tokenStatus = async (clientId: string, secret: string) =>
    (
      await request(broker.url)
        .post('/oauth/token')
        .auth(clientId, secret)
        .type('form')
        .send({ grant_type: 'client_credentials' })
    ).status;
  const value = (selector: string) => page.inputValue(selector);

  beforeAll(async () => {
    ({ broker, browser, page } = await openSignedInConsole({ clipboard: true }));
    for (const key of ['github', 'slack']) {
      await request(broker.url)
        .post('/admin/providers')
        .set(admin())
        .send({ key, template: key, client_id: 'id', client_secret: 'secret' })
        .expect(201);
    }
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('a refused new service shows each problem next to its field, keeps what was typed, and is 400', async () => {
    await page.click('nav >> text=Services');
    await page.click('text=New service');
    await page.fill('#f-display_name', 'Acme Billing');
    await page.fill('#f-allowed_return_to', 'billing.example.com');
    await page.check('input[name=allowed_providers][value=github]');
    const res = await submit(page, 'text=Create service');
    expect(res.status()).toBe(400);
    expect(await page.textContent('#f-name-error')).toBe('must not be empty');
    expect(await page.textContent('#f-allowed_return_to-error')).toBe(
      '“billing.example.com”: must be an origin such as https://app.example.com',
    );
    expect(await page.getAttribute('#f-name', 'aria-invalid')).toBe('true');
    expect(await value('#f-display_name')).toBe('Acme Billing');
    expect(await value('#f-allowed_return_to')).toBe('billing.example.com');
    expect(await page.isChecked('input[name=allowed_providers][value=github]')).toBe(true);
    await looksRight(page, 'service-new-invalid');
    expect((await request(broker.url).get('/admin/services').set(admin())).body.data).toEqual([]);
  });

  it('creates a service and shows its API key and client secret once, with copy buttons', async () => {
    await page.fill('#f-name', 'billing');
    await page.fill('#f-allowed_return_to', 'https://billing.example.com\nhttps://app.example.com');
    expect((await submit(page, 'text=Create service')).status()).toBe(201);
    firstKey = await value('#api-key');
    firstSecret = await value('#client-secret');
    expect(firstKey).toMatch(/^tbk_/);
    expect(firstSecret).toMatch(/^tbs_/);
    await page.click('button[data-copy=api-key]');
    await page.locator('#api-key-status', { hasText: 'Copied to the clipboard.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(firstKey);
    await looksRight(page, 'service-created');

    const listed = (await request(broker.url).get('/admin/services').set(admin())).body.data;
    expect(listed).toStrictEqual([
      {
        id: expect.stringMatching(/^svc_/),
        name: 'billing',
        display_name: 'Acme Billing',
        allowed_providers: ['github'],
        allowed_return_to: ['https://billing.example.com', 'https://app.example.com'],
        connection_access: 'own',
        client_id: expect.any(String),
        jwks: null,
        created_at: expect.any(String),
      },
    ]);
    serviceId = listed[0].id;
    await request(broker.url)
      .get('/v1/connections')
      .set('Authorization', `Bearer ${firstKey}`)
      .expect(200);
    expect(await tokenStatus(serviceId, firstSecret)).toBe(200);

    await page.click('text=Done');
    expect(new URL(page.url()).pathname).toBe(`/console/services/${serviceId}`);
    expect(await page.content()).not.toContain(firstKey);
    expect(await page.content()).not.toContain(firstSecret);
  });

  it('saves changed settings; a JWKS that is not JSON is refused under its field', async () => {
    await page.fill('#f-jwks', '{keys: nope');
    await page.selectOption('#f-connection_access', 'provider');
    expect((await submit(page, 'text=Save changes')).status()).toBe(400);
    expect(await page.textContent('#f-jwks-error')).toBe('must be JSON, e.g. {"keys": [ … ]}');
    expect(await page.inputValue('#f-connection_access')).toBe('provider');
    expect(await value('#f-jwks')).toBe('{keys: nope');

    await page.fill('#f-jwks', '');
    await page.fill('#f-display_name', '');
    await page.check('input[name=allowed_providers][value=slack]');
    expect((await submit(page, 'text=Save changes')).status()).toBe(303);
    expect(await page.textContent('[role=status].notice')).toBe('Changes saved.');
    const svc = (await request(broker.url).get(`/admin/services/${serviceId}`).set(admin())).body;
    expect(svc).toMatchObject({
      display_name: null,
      connection_access: 'provider',
      allowed_providers: ['github', 'slack'],
    });
    await looksRight(page, 'service');
  });

  it('issues a second API key with an expiry, then revokes the first (overlap rotation)', async () => {
    await page.fill('#f-expires_at', 'next week');
    expect((await submit(page, 'text=Issue API key')).status()).toBe(400);
    expect(await page.textContent('#f-expires_at-error')).toBe(
      'must be an ISO 8601 instant such as 2030-01-31T12:00:00Z',
    );
    expect(await value('#f-expires_at')).toBe('next week');

    const expiry = new Date(Date.now() + 7 * 86_400_000);
    expiry.setUTCMilliseconds(0);
    await page.fill('#f-expires_at', expiry.toISOString());
    expect((await submit(page, 'text=Issue API key')).status()).toBe(201);
    const secondKey = await value('#api-key');
    await looksRight(page, 'service-key-created');
    const keys = (await request(broker.url).get(`/admin/services/${serviceId}/keys`).set(admin()))
      .body.data as { id: string; expires_at: string | null }[];
    expect(keys.map((k) => k.expires_at)).toStrictEqual([null, expiry.toISOString()]);

    await page.click('text=Done');
    const firstId = keys[0]!.id;
    expect((await submit(page, `button[aria-label="Revoke API key ${firstId}"]`)).status()).toBe(
      303,
    );
    expect(await page.textContent('[role=status].notice')).toBe('API key revoked.');
    const left = (await request(broker.url).get(`/admin/services/${serviceId}/keys`).set(admin()))
      .body.data as { id: string }[];
    expect(left.map((k) => k.id)).toStrictEqual([keys[1]!.id]);
    const list = (key: string) =>
      request(broker.url).get('/v1/connections').set('Authorization', `Bearer ${key}`);
    await list(firstKey).expect(401);
    await list(secondKey).expect(200);
  });

  it('rotates the client secret: both work for 24 h, the page says until when', async () => {
    expect((await submit(page, 'text=Rotate client secret')).status()).toBe(201);
    const secret = await value('#client-secret');
    expect(await page.textContent('[role=status].notice')).toMatch(
      /^The replaced secret keeps working until \d{4}-\d\d-\d\dT/,
    );
    expect(await tokenStatus(serviceId, firstSecret)).toBe(200);
    expect(await tokenStatus(serviceId, secret)).toBe(200);
    await page.click('text=Done');
    expect(await page.textContent('#client-secret ~ p.hint')).toContain(
      'The replaced secret still works until',
    );
  });

  it('makes a connect link the end user can open; a missing subject is refused under its field', async () => {
    await page.selectOption('#f-provider', 'github');
    expect((await submit(page, 'text=Create connect link')).status()).toBe(400);
    expect(await page.textContent('#f-subject-error')).toBe('must not be empty');
    await page.fill('#f-subject', 'user-42');
    await page.fill('#f-return_to', 'https://evil.example/back');
    expect((await submit(page, 'text=Create connect link')).status()).toBe(400);
    expect(await page.textContent('#f-return_to-error')).toContain(
      'origin https://evil.example is not allowed',
    );
    await page.fill('#f-return_to', 'https://app.example.com/done');
    expect((await submit(page, 'text=Create connect link')).status()).toBe(201);
    const link = await value('#connect-url');
    expect(link).toMatch(new RegExp(`^${broker.container.config.publicUrl}/connect/tbc_`));
    expect(await page.evaluate('document.activeElement.id')).toBe('connect-url');
    await looksRight(page, 'service-connect-link');
    await page.click('button[data-copy=connect-url]');
    await page.locator('#connect-url-status', { hasText: 'Copied' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(link);

    const enduser = await browser.newPage();
    const opened = await enduser.goto(link);
    expect(opened?.status()).toBe(200);
    expect(await enduser.textContent('body')).toContain('billing');
    expect(await enduser.locator('button', { hasText: 'Continue' }).count()).toBe(1);
    await enduser.close();
  });

  it("a connection's page makes a reconnect link for its owning service", async () => {
    const { prisma } = broker.container.db;
    const owned = await fakeConnection(prisma, broker.container.keyring, 'github', 'erin');
    await prisma.connection.update({ where: { id: owned.id }, data: { serviceId } });
    await page.goto(`${broker.url}/console/connections/${owned.id}`);
    expect((await submit(page, 'text=Reconnect link')).status()).toBe(201);
    const link = await value('#connect-url');
    expect(link).toMatch(new RegExp(`^${broker.container.config.publicUrl}/connect/tbc_`));
    await looksRight(page, 'connection-reconnect-link');
    const session = await prisma.connectSession.findFirstOrThrow({
      where: { connectionId: owned.id },
    });
    expect(session).toMatchObject({ serviceId, providerKey: 'github', subject: 'erin' });
    const enduser = await browser.newPage();
    expect((await enduser.goto(link))?.status()).toBe(200);
    await enduser.close();
  });

  it('records every change in the audit trail, never a secret', async () => {
    await broker.container.audit.flush();
    const res = await request(broker.url)
      .get('/admin/audit')
      .query({ actor: 'admin', limit: 100 })
      .set(admin())
      .expect(200);
    const actions = (res.body.data as { action: string; detail: { service_id?: string } }[])
      .filter((e) => e.detail.service_id === serviceId)
      .map((e) => e.action)
      .sort();
    expect(actions).toStrictEqual([
      'console.connect_link',
      'console.reconnect_link',
      'service.client_secret_rotate',
      'service.create',
      'service.key_create',
      'service.key_revoke',
      'service.update',
    ]);
    expect(JSON.stringify(res.body)).not.toContain(firstSecret);
  });

  it('without script the secret is a read-only box to copy by hand', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false });
    const p = await noJs.newPage();
    await signIn(p, broker.url, broker.adminToken);
    await p.goto(`${broker.url}/console/services/${serviceId}`);
    await p.click('text=Issue API key');
    expect(await p.getAttribute('#api-key', 'readonly')).toBe('');
    expect(await p.inputValue('#api-key')).toMatch(/^tbk_/);
    expect(await p.isVisible('button[data-copy=api-key]')).toBe(false);
    await noJs.close();
  });

  it('console forms without the session CSRF token are 403 and change nothing', async () => {
    await request(broker.url)
      .post(`/console/services/${serviceId}/client-secret`)
      .type('form')
      .send({})
      .expect(403);
    await request(broker.url)
      .post('/console/services/new')
      .type('form')
      .send({ name: 'x' })
      .expect(403);
    expect((await request(broker.url).get('/admin/services').set(admin())).body.data).toHaveLength(
      1,
    );
  });
});

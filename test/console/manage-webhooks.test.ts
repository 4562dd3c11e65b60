import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import { looksRight, openSignedInConsole, submit } from './chromium.js';

/** Chromium, screenshots and axe-core on a busy 2-core machine. */
jest.setTimeout(120_000);

/** The console's webhook endpoint pages, end to end in Chromium, checked through the admin API. */
describe('console: managing webhook endpoints', () => {
  let broker: TestBroker;
  let browser: Browser;
  let page: Page;
  const URL = 'https://hooks.example.com/broker';
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  const listed = async () =>
    (await request(broker.url).get('/admin/webhooks').set(admin()).expect(200)).body.data as {
      id: string;
      url: string;
      events: string[];
      enabled: boolean;
      previous_secret_expires_at: string | null;
    }[];

  beforeAll(async () => {
    ({ broker, browser, page } = await openSignedInConsole());
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('a URL that is not http(s) is refused next to its field, with the ticked events kept', async () => {
    await page.click('nav >> text=Webhooks');
    await page.click('text=Add endpoint');
    await page.fill('#f-url', 'ftp://hooks.example.com');
    await page.check('input[name=events][value="connection.revoked"]');
    expect((await submit(page, 'text=Add endpoint')).status()).toBe(400);
    expect(await page.textContent('#f-url-error')).toBe('must be an http(s) URL');
    expect(await page.inputValue('#f-url')).toBe('ftp://hooks.example.com');
    expect(await page.isChecked('input[name=events][value="connection.revoked"]')).toBe(true);
    await looksRight(page, 'webhook-new-invalid');
    expect(await listed()).toEqual([]);
  });

  it('adds an endpoint and shows its signing secret once', async () => {
    await page.fill('#f-url', URL);
    await page.check('input[name=events][value="connection.created"]');
    expect((await submit(page, 'text=Add endpoint')).status()).toBe(201);
    expect(await page.inputValue('#webhook-secret')).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await looksRight(page, 'webhook-created');
    expect(await listed()).toMatchObject([
      { url: URL, events: ['connection.created', 'connection.revoked'], enabled: true },
    ]);
    await page.click('text=Done');
    expect(await page.textContent('tbody')).toContain(URL);
    expect(await page.content()).not.toContain('whsec_');
    await looksRight(page, 'webhooks-manage');
  });

  it('disables and enables it again', async () => {
    expect((await submit(page, `button[aria-label="Disable ${URL}"]`)).status()).toBe(303);
    expect(await page.textContent('[role=status].notice')).toContain('Endpoint disabled');
    expect((await listed())[0]?.enabled).toBe(false);
    expect((await submit(page, `button[aria-label="Enable ${URL}"]`)).status()).toBe(303);
    expect((await listed())[0]?.enabled).toBe(true);
  });

  it('rotates the signing secret: the new one shown once, the old one signing for 24 h more', async () => {
    const [before] = await listed();
    expect(before?.previous_secret_expires_at).toBeNull();
    expect((await submit(page, `button[aria-label="Rotate secret ${URL}"]`)).status()).toBe(201);
    const secret = await page.inputValue('#webhook-secret');
    expect(secret).toMatch(/^whsec_/);
    const [after] = await listed();
    expect(Date.parse(after!.previous_secret_expires_at!)).toBeGreaterThan(
      Date.now() + 23 * 3600_000,
    );
    await page.click('text=Done');
  });

  it('deletes it after a confirmation', async () => {
    await page.click(`a[aria-label="Delete ${URL}"]`);
    await looksRight(page, 'webhook-delete');
    expect((await submit(page, 'text=Delete endpoint')).status()).toBe(303);
    expect(await page.textContent('[role=status].notice')).toBe('Endpoint deleted.');
    expect(await listed()).toEqual([]);
  });

  it('records each change in the audit trail, and refuses forms without the CSRF token', async () => {
    await broker.container.audit.flush();
    const res = await request(broker.url)
      .get('/admin/audit')
      .query({ limit: 100 })
      .set(admin())
      .expect(200);
    const actions = (res.body.data as { action: string }[])
      .map((e) => e.action)
      .filter((a) => a.startsWith('webhook.'))
      .sort();
    expect(actions).toStrictEqual([
      'webhook.create',
      'webhook.delete',
      'webhook.rotate_secret',
      'webhook.update',
      'webhook.update',
    ]);
    await request(broker.url)
      .post('/console/webhooks/new')
      .type('form')
      .send({ url: URL })
      .expect(403);
    expect(await listed()).toEqual([]);
  });
});

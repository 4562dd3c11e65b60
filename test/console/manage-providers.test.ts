import { jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import type { TestBroker } from '../support/broker.js';
import { looksRight, openSignedInConsole, submit } from './chromium.js';

/** Chromium, screenshots and axe-core on a busy 2-core machine. */
jest.setTimeout(120_000);

/** The console's provider pages, end to end in Chromium, checked through the admin API. */
describe('console: adding and changing providers', () => {
  let broker: TestBroker;
  let browser: Browser;
  let page: Page;
  let publicUrl = '';
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  const provider = async (key: string) =>
    (await request(broker.url).get(`/admin/providers/${key}`).set(admin()).expect(200)).body;

  beforeAll(async () => {
    ({ broker, browser, page } = await openSignedInConsole());
    publicUrl = broker.container.config.publicUrl;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
  });

  it('offers the built-in templates, then a form showing the redirect URI and webhook URL', async () => {
    await page.click('nav >> text=Providers');
    await page.click('text=Add provider');
    expect(await page.locator('.templates li').count()).toBeGreaterThan(20);
    await looksRight(page, 'provider-templates');
    await page.click('.templates a:has-text("GitHub")');
    expect(await page.inputValue('#f-key')).toBe('github');
    expect(await page.inputValue('#redirect-uri')).toBe(`${publicUrl}/oauth/callback`);
    expect(await page.inputValue('#webhook-url')).toBe(`${publicUrl}/webhooks/providers/{key}`);
  });

  it('a bad key is refused next to its field, with what was typed kept, and 400', async () => {
    await page.fill('#f-key', 'GitHub!');
    await page.fill('#f-client_id', 'Iv1.abc');
    expect((await submit(page, 'text=Add provider')).status()).toBe(400);
    expect(await page.textContent('#f-key-error')).toBe('must match ^[a-z0-9][a-z0-9_-]{1,62}$');
    expect(await page.inputValue('#f-key')).toBe('GitHub!');
    expect(await page.inputValue('#f-client_id')).toBe('Iv1.abc');
    await looksRight(page, 'provider-new-invalid');
    await request(broker.url).get('/admin/providers/github').set(admin()).expect(404);
  });

  it('adds it from the template; its page shows where to register it', async () => {
    await page.fill('#f-key', 'github');
    await page.fill('#f-client_secret', 's3cret');
    await page.fill('#f-webhook_secret', 'hook-secret');
    expect((await submit(page, 'text=Add provider')).status()).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/console/providers/github');
    expect(await page.textContent('[role=status].notice')).toContain('Provider added.');
    expect(await page.inputValue('#redirect-uri')).toBe(`${publicUrl}/oauth/callback`);
    expect(await page.inputValue('#webhook-url')).toBe(`${publicUrl}/webhooks/providers/github`);
    expect(await page.content()).not.toContain('s3cret');
    await looksRight(page, 'provider');
    expect(await provider('github')).toMatchObject({
      template: 'github',
      client_id: 'Iv1.abc',
      has_client_secret: true,
      has_webhook_secret: true,
      redirect_uri: `${publicUrl}/oauth/callback`,
      webhook_url: `${publicUrl}/webhooks/providers/github`,
    });
  });

  it('saves changes and keeps the stored secret when its field is left empty', async () => {
    await page.fill('#f-display_name', 'GitHub (Acme)');
    await page.fill('#f-scopes', 'repo read:user');
    expect((await submit(page, 'text=Save changes')).status()).toBe(303);
    expect(await page.textContent('[role=status].notice')).toBe('Changes saved.');
    expect(await provider('github')).toMatchObject({
      display_name: 'GitHub (Acme)',
      scopes: ['repo', 'read:user'],
      has_client_secret: true,
    });
    expect((await broker.container.providers.get('github'))?.clientSecret).toBe('s3cret');

    await page.fill('#f-scopes', 'repo "bad');
    expect((await submit(page, 'text=Save changes')).status()).toBe(400);
    expect(await page.textContent('#f-scopes-error')).toBe('“"bad”: invalid scope');
    expect(await page.inputValue('#f-scopes')).toBe('repo "bad');
  });

  it('a key that exists is 409, shown above the form', async () => {
    await page.goto(`${broker.url}/console/providers/new?template=github`);
    await page.fill('#f-client_id', 'other');
    expect((await submit(page, 'text=Add provider')).status()).toBe(409);
    expect(await page.textContent('.alert[role=alert]')).toContain('already exists');
  });

  it('adds a provider by hand with its endpoints; a plain-http endpoint is refused', async () => {
    await page.goto(`${broker.url}/console/providers/new`);
    await page.click('text=By hand');
    await page.fill('#f-key', 'acme');
    await page.fill('#f-authorization_endpoint', 'http://idp.example.com/authorize');
    await page.fill('#f-token_endpoint', 'https://idp.example.com/token');
    await page.fill('#f-client_id', 'acme-client');
    await page.fill('#f-client_secret', 'acme-secret');
    await page.fill('#f-scopes', 'read');
    const refused = await submit(page, 'text=Add provider');
    expect(refused.status()).toBe(400);
    expect(await page.textContent('#f-authorization_endpoint-error')).toMatch(/^must be https/);
    expect(await page.inputValue('#f-client_secret')).toBe('');
    await page.fill('#f-client_secret', 'acme-secret');
    expect(await page.inputValue('#f-token_endpoint')).toBe('https://idp.example.com/token');
    await looksRight(page, 'provider-by-hand-invalid');
    await page.fill('#f-authorization_endpoint', 'https://idp.example.com/authorize');
    expect((await submit(page, 'text=Add provider')).status()).toBe(303);
    expect(await provider('acme')).toMatchObject({
      template: null,
      authorization_endpoint: 'https://idp.example.com/authorize',
      token_endpoint: 'https://idp.example.com/token',
      scopes: ['read'],
      has_client_secret: true,
    });
  });

  it('records each change in the audit trail', async () => {
    await broker.container.audit.flush();
    const res = await request(broker.url)
      .get('/admin/audit')
      .query({ limit: 100 })
      .set(admin())
      .expect(200);
    const rows = (res.body.data as { action: string; provider: string; actor_id: string }[])
      .filter((e) => e.action.startsWith('provider.'))
      .map((e) => `${e.action} ${e.provider} ${e.actor_id}`)
      .sort();
    expect(rows).toStrictEqual([
      'provider.create acme admin',
      'provider.create github admin',
      'provider.update github admin',
    ]);
  });
});

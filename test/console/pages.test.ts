import { jest } from '@jest/globals';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium } from '../support/browser.js';
import type { TestBroker } from '../support/broker.js';
import { fakeConnection, plainProvider, startBrokerAndUpstream } from '../connections/fixtures.js';

/** Where screenshots go (gitignored): looked at by people, never compared by tests. */
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

/** Desktop (1280 wide) and phone (390 wide) screenshots of the current page. */
async function screenshots(page: Page, name: string): Promise<void> {
  for (const [label, width, height] of [
    ['desktop', 1280, 800],
    ['phone', 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** axe-core's serious and critical findings on the current page (WCAG 2.1 A and AA rules). */
async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Chromium, screenshots and axe-core on a busy 2-core machine. */
jest.setTimeout(120_000);

describe('console pages in Chromium (desktop and phone, axe-core)', () => {
  let broker: TestBroker;
  let providerKey: string;
  let close: () => Promise<void>;
  let browser: Browser;
  let page: Page;
  let failedDelivery: string;

  beforeAll(async () => {
    ({ broker, providerKey, close } = await startBrokerAndUpstream());
    const { prisma } = broker.container.db;
    const { keyring } = broker.container;
    await plainProvider(prisma, 'plain');
    // 31 connections: more than one page of 25.
    for (let i = 0; i < 30; i++) await fakeConnection(prisma, keyring, 'plain', `user-${i}`);
    const stuck = await fakeConnection(prisma, keyring, providerKey, 'erin@example.com');
    await prisma.connection.update({
      where: { id: stuck.id },
      data: { status: 'reauthorization_required' },
    });
    await broker.container.services.create({
      name: 'billing',
      allowedProviders: [providerKey],
      allowedReturnTo: ['https://billing.example'],
    });
    const { endpoint } = await broker.container.webhooks.endpoints.create({
      url: 'http://127.0.0.1:9/hooks',
      events: [],
      enabled: true,
    });
    await prisma.webhookEvent.create({
      data: { id: 'msg_console1', type: 'connection.revoked', payload: {} },
    });
    failedDelivery = 'whd_console1';
    await prisma.webhookDelivery.create({
      data: {
        id: failedDelivery,
        eventId: 'msg_console1',
        endpointId: endpoint.id,
        status: 'failed',
        attempts: 9,
        lastStatusCode: 503,
      },
    });
    // The chart reads the audit trail: three refresh failures and one proxy error today.
    const now = Date.now();
    await prisma.auditEvent.createMany({
      data: [1, 2, 5, 3].map((hoursAgo, i) => ({
        at: new Date(now - hoursAgo * 3600_000),
        actorType: 'system',
        action: i < 3 ? 'connection.refresh' : 'connection.proxy',
        connectionId: stuck.id,
        providerKey,
        outcome: 'upstream_unavailable',
      })),
    });
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await launchChromium();
    // axe-core runs as a script in the page; the console itself has none (console.test.ts).
    const context = await browser.newContext();
    page = await context.newPage();
    // Playwright's own timeout first, so a failure names the selector it waited for.
    page.setDefaultTimeout(10_000);
    await page.goto(`${broker.url}/console`);
    await page.fill('#token', broker.adminToken);
    await page.click('button[type=submit]');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await close();
  });

  /** Screenshots the page and asserts axe-core finds nothing serious or critical. */
  async function looksRight(name: string) {
    await screenshots(page, name);
    expect(await seriousViolations(page)).toStrictEqual([]);
  }

  it('the overview counts connections by status and provider and charts the last day', async () => {
    expect(new URL(page.url()).pathname).toBe('/console/overview');
    const tiles = await page.locator('.tile').allInnerTexts();
    expect(tiles.map((t) => t.replace(/\s+/g, ' ').trim())).toEqual(
      expect.arrayContaining([
        '31 connections',
        '30 active',
        '1 reauthorization required',
        '2 providers',
        '1 services',
        '1 webhook endpoints',
        '1 failed deliveries',
      ]),
    );
    expect(await page.getAttribute('.chart svg', 'aria-label')).toBe(
      'Last 24 hours: 3 refresh failures, 1 proxy errors; busiest hour 1',
    );
    expect(await page.locator('.chart rect').count()).toBe(48);
    const health = page.locator('tbody tr', { hasText: providerKey });
    expect(await health.textContent()).toContain('1 need reconnecting');
    expect(await page.getAttribute('nav a[aria-current=page]', 'href')).toBe('/console/overview');
    await looksRight('overview');
  });

  it('connections: numbered pages with previous/next, a provider dropdown, subject prefix, UTC times', async () => {
    await page.click('nav >> text=Connections');
    expect(await page.textContent('.pager span')).toBe('1–25 of 31');
    expect(await page.locator('tbody tr').count()).toBe(25);
    expect(await page.locator('tbody time').first().textContent()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
    );
    expect(await page.locator('tbody .rel').first().textContent()).toBe('(in 1 h)');
    await looksRight('connections');
    await page.click('a[rel=next]');
    expect(await page.textContent('.pager span')).toBe('26–31 of 31');
    await page.click('a[rel=prev]');
    expect(await page.textContent('.pager span')).toBe('1–25 of 31');

    await page.selectOption('select[name=provider]', 'plain');
    await page.fill('input[name=subject]', 'user-1');
    await page.click('form.filters button');
    // user-1 and user-10 … user-19: a prefix, not an exact match.
    expect(await page.textContent('.pager span')).toBe('1–11 of 11');
    expect(await page.locator('a[rel=next]').count()).toBe(0);
  });

  it('the audit log filters by action prefix and actor', async () => {
    await page.click('nav >> text=Audit log');
    await page.fill('input[name=action]', 'console.');
    await page.click('form.filters button');
    const actions = await page.locator('tbody td:nth-child(3)').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.startsWith('console.'))).toBe(true);
    await page.fill('input[name=action]', 'connection.');
    await page.click('form.filters button');
    expect(await page.textContent('.pager span')).toBe('1–4 of 4');
    await looksRight('audit');
  });

  it('webhooks list endpoints; deliveries filter by status and replay a failed one', async () => {
    await page.click('nav >> text=Webhooks');
    expect(await page.textContent('tbody')).toContain('http://127.0.0.1:9/hooks');
    expect(await page.textContent('tbody')).toContain('1 failed');
    const content = await page.content();
    expect(content).not.toContain('whsec_');
    await looksRight('webhooks');

    await page.click('nav >> text=Deliveries');
    await page.selectOption('select[name=status]', 'failed');
    await page.click('form.filters button');
    expect(await page.locator('tbody tr').count()).toBe(1);
    await looksRight('deliveries');
    await page.click(`button[aria-label="Replay delivery ${failedDelivery}"]`);
    expect(await page.textContent('[role=status]')).toBe('Delivery queued again.');
    const row = await broker.container.db.prisma.webhookDelivery.findUniqueOrThrow({
      where: { id: failedDelivery },
    });
    expect(row.status).toBe('pending');
  });

  it('providers, services and a connection look right too', async () => {
    await page.click('nav >> text=Providers');
    await looksRight('providers');
    await page.click('nav >> text=Services');
    await looksRight('services');
    await page.goto(`${broker.url}/console/connections?subject=erin`);
    await page.click('tbody a');
    expect(await page.textContent('h1 .badge')).toBe('reauthorization_required');
    await looksRight('connection');
  });

  it('an unknown console page is a 404 with the navigation', async () => {
    const response = await page.goto(`${broker.url}/console/no-such-page`);
    expect(response?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('Page not found');
    expect(await page.locator('header nav a').count()).toBe(8);
    await looksRight('not-found');
    await page.click('text=Back to the overview');
    expect(new URL(page.url()).pathname).toBe('/console/overview');
  });

  it('/console/overview sends a browser without a session to the sign-in page; replay needs CSRF', async () => {
    for (const path of [
      '/console/overview',
      '/console/audit',
      '/console/webhooks',
      '/console/deliveries',
    ]) {
      const res = await request(broker.url).get(path).expect(303);
      expect(res.headers.location).toBe('/console');
    }
    await request(broker.url)
      .post(`/console/deliveries/${failedDelivery}/replay`)
      .type('form')
      .send({})
      .expect(403);
  });
});

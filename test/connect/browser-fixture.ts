import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { APP_ORIGIN, createService } from './helpers.js';
import { registerProvider } from '../support/factories.js';

/** Where screenshots go (gitignored): looked at by people, never compared by tests. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'connect');

/**
 * One broker, one oidc-provider (registered as `idp`, OIDC with discovery) and Chromium
 * for a whole test file; `newPage()` gives a fresh browser profile whose requests to the
 * app origin are answered locally and to anywhere else on the internet refused.
 */
export async function startConnectFixture() {
  const broker: TestBroker = await startTestBroker();
  const upstream: Upstream = await startUpstream({
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
  const browser: Browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });

  async function newPage(
    appHtml = '<h1>App</h1>',
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext();
    await context.route(`${APP_ORIGIN}/**`, (r) =>
      r.fulfill({ contentType: 'text/html', body: appHtml }),
    );
    await context.route(/^https:\/\/(?!app\.example\.com)/, (r) => r.abort());
    return { page: await context.newPage(), context };
  }

  return {
    broker,
    upstream,
    browser,
    newPage,
    /** A service of display name "Acme CRM" that may use the given providers. */
    service: (providers: string[], extra: object = {}) =>
      createService(broker, providers, 'acme-crm-backend', { display_name: 'Acme CRM', ...extra }),
    async close() {
      await browser.close();
      await upstream.close();
      await broker.close();
    },
  };
}

export type ConnectFixture = Awaited<ReturnType<typeof startConnectFixture>>;

/** Signs in and consents on oidc-provider's development interaction pages. */
export async function loginAndConsent(page: Page, login: string): Promise<void> {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  await page.waitForSelector('button:has-text("Continue")');
  await page.click('button:has-text("Continue")');
}

/** Desktop (1280 wide) and phone (390 wide) screenshots of the current page. */
export async function screenshots(page: Page, name: string): Promise<void> {
  for (const [label, width, height] of [
    ['desktop', 1280, 800],
    ['phone', 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`), fullPage: true });
  }
}

/** axe-core's serious and critical findings on the current page (WCAG 2.1 A and AA rules). */
export async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

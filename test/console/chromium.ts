import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page, Response } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** Where screenshots go (gitignored): looked at by people, never compared by tests. */
export const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'console');

/** Desktop (1280×800) and phone (390×844) full-page screenshots of the current page. */
export async function screenshots(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
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
export async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}

/** Desktop and phone screenshots of the current page, and no serious axe finding on it. */
export async function looksRight(page: Page, name: string): Promise<void> {
  await screenshots(page, name);
  expect(await seriousViolations(page)).toStrictEqual([]);
}

/** A broker, and a Chromium page signed in to its console (`clipboard`: may copy and paste). */
export async function openSignedInConsole(options: { clipboard?: boolean } = {}): Promise<{
  broker: TestBroker;
  browser: Browser;
  page: Page;
}> {
  const broker = await startTestBroker();
  const browser = await launchChromium();
  const context = await browser.newContext();
  if (options.clipboard) {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: broker.url });
  }
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await signIn(page, broker.url, broker.adminToken);
  return { broker, browser, page };
}

/** Signs the page in with the admin API token. */
export async function signIn(page: Page, url: string, adminToken: string): Promise<void> {
  await page.goto(`${url}/console`);
  await page.fill('#token', adminToken);
  await page.click('button[type=submit]');
  await page.waitForURL('**/console/overview');
}

/**
 * Clicks a form's submit button and answers the response of the POST it sends.
 *
 * @example expect((await submit(page, 'text=Create service')).status()).toBe(400);
 */
export async function submit(page: Page, selector: string): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse(
      (r) => r.request().method() === 'POST' && r.request().isNavigationRequest(),
    ),
    page.click(selector),
  ]);
  await page.waitForLoadState();
  return response;
}

import request from 'supertest';
import type { TestBroker } from '../support/broker.js';

/** The app every test sends users back to. */
export const APP_ORIGIN = 'https://app.example.com';

/** Creates a service through the admin API; returns its API key. */
export async function createService(
  broker: TestBroker,
  allowedProviders: string[],
  name = 'Acme CRM',
  extra: object = {},
): Promise<{ id: string; apiKey: string }> {
  const res = await request(broker.url)
    .post('/admin/services')
    .set('Authorization', `Bearer ${broker.adminToken}`)
    .send({ name, allowed_providers: allowedProviders, allowed_return_to: [APP_ORIGIN], ...extra })
    .expect(201);
  return { id: res.body.id, apiKey: res.body.api_key };
}

/** Mints a connect session; returns the 201 body. */
export async function connectSession(
  broker: TestBroker,
  apiKey: string,
  body: object,
): Promise<{ id: string; token: string; connect_url: string; expires_at: string }> {
  const res = await request(broker.url)
    .post('/v1/connect-sessions')
    .set('Authorization', `Bearer ${apiKey}`)
    .send(body)
    .expect(201);
  return res.body;
}

/** `name=value` of the first Set-Cookie header. */
export const cookieOf = (res: Response) =>
  (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

/** Opens the connect page like a browser: the page, its CSRF token and this browser's cookie. */
export async function openConnectPage(connectUrl: string, cookie?: string) {
  const page = await fetch(connectUrl, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const html = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  return { page, html, csrf, cookie: cookie ?? cookieOf(page) };
}

/** Posts the connect page's form (Continue unless `fields` say otherwise), as the browser would. */
export const postConnectForm = (
  connectUrl: string,
  cookie: string,
  fields: Record<string, string>,
) =>
  fetch(connectUrl.split('?')[0] ?? connectUrl, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ action: 'continue', ...fields }),
  });

/** Opens the connect page and presses Continue: the answer (303 to the provider). */
export async function pressContinue(connectUrl: string, fields: Record<string, string> = {}) {
  const { csrf, cookie } = await openConnectPage(connectUrl);
  return postConnectForm(connectUrl, cookie, { csrf, ...fields });
}

/**
 * Walks a consent flow over plain HTTP against a provider whose authorization endpoint
 * redirects straight back (the fake): the connect page, Continue → provider → the callback
 * URL, returning the callback URL and the browser-binding cookie without calling the callback yet.
 */
export async function flowUntilCallback(connectUrl: string) {
  const start = await pressContinue(connectUrl);
  if (start.status !== 303) throw new Error(`connect answered ${start.status}`);
  const cookie = cookieOf(start);
  const authorize = new URL(start.headers.get('location') ?? '');
  const back = await fetch(authorize, { redirect: 'manual' });
  return { callbackUrl: back.headers.get('location') ?? '', cookie, authorize, start };
}

/** Calls the callback like the browser would (cookie optional), without following redirects. */
export const callback = (url: string, cookie?: string) =>
  fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });

/** The query of a redirect to the app. */
export function returned(res: Response): Record<string, string> {
  const location = res.headers.get('location') ?? '';
  if (!location.startsWith(APP_ORIGIN)) throw new Error(`not a redirect to the app: ${res.status}`);
  return Object.fromEntries(new URL(location).searchParams);
}

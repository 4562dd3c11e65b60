import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestBroker } from '../support/broker.js';
import {
  APP_ORIGIN,
  callback,
  connectSession,
  cookieOf,
  pressContinue,
  returned,
} from '../connect/helpers.js';

/** One request the fake API received, as it arrived (body in full). */
export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type ApiHandler = (req: Received, res: ServerResponse) => void;

/**
 * A hand-made API on 127.0.0.1 for what a real one will not do on demand (401 then 200,
 * 429, 503, rate-limit headers, slow answers, resets, large bodies). Each request is
 * answered by the next handler of the script (the last one repeats); every request is kept.
 *
 * @example const api = await startFakeApi([json(401, {}), json(200, { ok: true })]);
 */
export async function startFakeApi(script: ApiHandler[] = [json(200, { ok: true })]) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(r);
      script[Math.min(received.length - 1, script.length - 1)]?.(r, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    /** Replaces the script and forgets what was received. */
    script(next: ApiHandler[]) {
      script = next;
      received.length = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export type FakeApi = Awaited<ReturnType<typeof startFakeApi>>;

/** Answers `status` with a JSON body and extra headers. */
export const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): ApiHandler =>
  (_req, res) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };

/** Echoes what arrived: method, URL, headers and the body's length. */
export const echo: ApiHandler = (req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      length: req.body.length,
    }),
  );
};

/** Never answers. */
export const hang: ApiHandler = () => undefined;

/** Drops the connection without an answer. */
export const reset: ApiHandler = (_req, res) => res.socket?.destroy();

/** A cookie jar for one host: every cookie sent back on every request (tests only). */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
  get header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * Runs the whole consent flow over plain HTTP, as a browser would: the broker's connect
 * page (Continue), oidc-provider's development login and consent pages, the broker's
 * callback. Returns the new connection's id.
 */
export async function connectByConsent(
  broker: TestBroker,
  apiKey: string,
  provider: string,
  subject: string,
): Promise<string> {
  const session = await connectSession(broker, apiKey, {
    provider,
    subject,
    return_to: APP_ORIGIN,
  });
  const start = await pressContinue(session.connect_url);
  const brokerCookie = cookieOf(start);
  const jar = new Jar();
  let next = new URL(start.headers.get('location') ?? '');
  const upstream = next.origin;
  for (let step = 0; step < 20; step++) {
    const res = await fetch(next, { redirect: 'manual', headers: { cookie: jar.header } });
    jar.take(res);
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location') ?? '', next);
      if (next.origin !== upstream) break;
      continue;
    }
    // A login or consent page: post its form with the login, or its hidden fields.
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form on ${next.pathname} (${res.status})`);
    const fields = new URLSearchParams();
    for (const m of html.matchAll(
      /<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g,
    )) {
      fields.set(m[1]!, m[2]!);
    }
    if (html.includes('name="login"')) {
      fields.set('login', subject);
      fields.set('password', 'any password');
    }
    const posted = await fetch(new URL(action, next), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header, 'content-type': 'application/x-www-form-urlencoded' },
      body: fields,
    });
    jar.take(posted);
    next = new URL(posted.headers.get('location') ?? '', next);
  }
  const back = returned(await callback(next.toString(), brokerCookie));
  if (!back.connection_id) throw new Error(`consent failed: ${JSON.stringify(back)}`);
  return back.connection_id;
}

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loginAndConsent, startConnectFixture, type ConnectFixture } from './browser-fixture.js';

/**
 * An app as the README tells apps to be: `/start?user=…` mints a handshake session for its
 * signed-in user and keeps the verifier in that user's session (a cookie of the app's own);
 * `/connected` completes with the verifier of the session of the browser that arrives.
 */
async function startApp(brokerUrl: string, apiKey: string) {
  const sessions = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    const sid = /app_sid=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const page = (body: string) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><html lang="en"><title>App</title><h1>${body}</h1></html>`);
    };
    const call = (path: string, body: object) =>
      fetch(`${brokerUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    void (async () => {
      if (url.pathname === '/start') {
        const verifier = randomBytes(32).toString('base64url');
        const minted = await call('/v1/connect-sessions', {
          provider: 'idp',
          subject: url.searchParams.get('user'),
          return_to: `${origin}/connected`,
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        });
        const { connect_url } = (await minted.json()) as { connect_url: string };
        const newSid = randomBytes(16).toString('base64url');
        sessions.set(newSid, verifier);
        res.writeHead(302, { location: connect_url, 'set-cookie': `app_sid=${newSid}; Path=/` });
        res.end();
        return;
      }
      const verifier = sid ? sessions.get(sid) : undefined;
      if (!verifier) return page('Not connected: this browser did not start connecting');
      const done = await call(
        `/v1/connect-sessions/${url.searchParams.get('connect_session_id')}/complete`,
        { code: url.searchParams.get('code'), code_verifier: verifier },
      );
      const body = (await done.json()) as { id?: string; subject?: string; error?: string };
      page(done.ok ? `Connected ${body.subject}` : `Not connected: ${body.error}`);
    })();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((ok) => server.close(ok)) };
}

describe('the app handshake in Chromium, against oidc-provider', () => {
  let f: ConnectFixture;
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    f = await startConnectFixture();
    // The app's origin is known only once it listens: the service is patched after.
    const svc = await f.service(['idp']);
    app = await startApp(f.broker.url, svc.apiKey);
    const patched = await fetch(`${f.broker.url}/admin/services/${svc.id}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${f.broker.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ allowed_return_to: [app.origin] }),
    });
    expect(patched.status).toBe(200);
  });
  afterAll(async () => {
    await app.close();
    await f.close();
  });

  const connectionsOf = (subject: string) =>
    f.broker.db.prisma.connection.findMany({ where: { subject } });

  it('the user who started connecting lands in the app, which completes with its verifier', async () => {
    const { page, context } = await f.newPage();
    await page.goto(`${app.origin}/start?user=alice`);
    expect(await page.textContent('h1')).toBe('Connect Test IdP to Acme CRM');
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'alice');
    await page.waitForURL(`${app.origin}/connected?**`);
    const back = new URL(page.url()).searchParams;
    expect([...back.keys()].sort()).toEqual(['code', 'connect_session_id', 'status']);
    expect(await page.textContent('h1')).toBe('Connected alice');
    expect(await connectionsOf('alice')).toHaveLength(1);
    await context.close();
  });

  it('a connect link forwarded to a victim never attaches the victim’s account to the sender’s subject', async () => {
    // Mallory starts connecting in the app and copies the link instead of following it.
    const { page: mallory, context: mallorys } = await f.newPage();
    const minted = await mallory.request.get(`${app.origin}/start?user=mallory`, {
      maxRedirects: 0,
    });
    const link = minted.headers().location!;
    // The victim opens it in their own browser (their own app session) and consents.
    const { page: victim, context: victims } = await f.newPage();
    await victim.goto(`${app.origin}/`);
    await victim.goto(link);
    await victim.click('button[value=continue]');
    await loginAndConsent(victim, 'victim');
    await victim.waitForURL(`${app.origin}/connected?**`);
    expect(await victim.textContent('h1')).toBe(
      'Not connected: this browser did not start connecting',
    );
    // Mallory holds the verifier but not the code, which went to the victim's browser.
    const code = new URL(victim.url()).searchParams.get('code');
    expect(code).toEqual(expect.any(String));
    await mallory.goto(
      `${app.origin}/connected?status=success&connect_session_id=${new URL(victim.url()).searchParams.get('connect_session_id')}&code=guess`,
    );
    expect(await mallory.textContent('h1')).toBe('Not connected: invalid_request');
    expect(await connectionsOf('mallory')).toEqual([]);
    await mallorys.close();
    await victims.close();
  });
});

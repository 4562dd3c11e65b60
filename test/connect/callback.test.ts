import request from 'supertest';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from './fake-authorization-server.js';
import {
  APP_ORIGIN,
  callback,
  connectSession,
  createService,
  flowUntilCallback,
  returned,
  pressContinue,
} from './helpers.js';
import { registerProvider } from '../support/factories.js';

describe('consent flow over HTTP (GitHub dialect and OIDC fakes)', () => {
  let broker: TestBroker;
  let fake: FakeAuthorizationServer;
  let apiKey: string;
  /** Every secret the tests see; none may appear in a response body or the logs. */
  const secrets = new Set<string>(['fake-client-secret']);
  let n = 0;

  beforeAll(async () => {
    broker = await startTestBroker();
    fake = await startFakeAuthorizationServer({
      clientId: 'fake-client',
      clientSecret: 'fake-client-secret',
    });
    await registerProvider(broker, {
      key: 'fake-gh',
      display_name: 'FakeHub',
      authorization_endpoint: fake.authorizationEndpoint,
      token_endpoint: fake.tokenEndpoint,
      client_id: 'fake-client',
      client_secret: 'fake-client-secret',
      client_auth_method: 'client_secret_post',
      scopes: ['repo', 'read:user'],
      scope_separator: ',',
    });
    await registerProvider(broker, {
      key: 'fake-oidc',
      issuer: fake.issuer,
      client_id: 'fake-client',
      client_secret: 'fake-client-secret',
      client_auth_method: 'client_secret_post',
      scopes: ['openid'],
    });
    ({ apiKey } = await createService(broker, ['fake-gh', 'fake-oidc']));
  });
  afterAll(async () => {
    await fake.close();
    await broker.close();
  });
  beforeEach(() => {
    fake.setBehavior('github');
    fake.setDeny(false);
  });

  /** Mints a session for a fresh subject (or the given one) and runs it up to the callback. */
  async function begin(provider: string, opts: { subject?: string; returnTo?: boolean } = {}) {
    const subject = opts.subject ?? `user-${++n}`;
    const session = await connectSession(broker, apiKey, {
      provider,
      subject,
      ...(opts.returnTo === false ? {} : { return_to: `${APP_ORIGIN}/connected` }),
    });
    secrets.add(session.token);
    const flow = await flowUntilCallback(session.connect_url);
    const cb = new URL(flow.callbackUrl);
    for (const k of ['code', 'state'])
      if (cb.searchParams.get(k)) secrets.add(cb.searchParams.get(k)!);
    secrets.add(flow.cookie.split('=')[1] ?? '');
    return { ...flow, subject, session };
  }

  const stored = async (subject: string) => {
    const connection = await broker.db.prisma.connection.findFirst({
      where: { subject },
      include: { tokenSet: true },
    });
    return connection;
  };

  async function expectNothingStored(subject: string, body: string) {
    expect(await stored(subject)).toBeNull();
    for (const s of secrets) expect(body).not.toContain(s);
  }

  it('starts with state, PKCE S256 and a browser-binding cookie', async () => {
    const session = await connectSession(broker, apiKey, {
      provider: 'fake-oidc',
      subject: 'peek',
    });
    const start = await pressContinue(session.connect_url);
    expect(start.status).toBe(303);
    const to = new URL(start.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(fake.authorizationEndpoint);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'fake-client',
      redirect_uri: `${broker.container.config.publicUrl}/oauth/callback`,
      scope: 'openid',
      code_challenge_method: 'S256',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    });
    const cookie = start.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      /^tb_flow_[\w-]{16}=[\w-]{43}; Max-Age=600; Path=\/oauth\/callback; HttpOnly; SameSite=Lax$/,
    );
    const flow = await broker.db.prisma.oAuthFlow.findFirstOrThrow({
      where: { connectSession: { id: session.id } },
    });
    expect(Buffer.from(flow.codeVerifier).toString('latin1')).not.toMatch(/^[\w-]{43,}$/);
    const again = await fetch(session.connect_url, { redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already used');
  });

  it('connects a GitHub-dialect provider: JSON without expires_in, comma scopes', async () => {
    const flow = await begin('fake-gh');
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(res.status).toBe(302);
    const q = returned(res);
    expect(q).toStrictEqual({ connection_id: expect.stringMatching(/^conn_/), status: 'success' });
    expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const c = await stored(flow.subject);
    expect(c).toMatchObject({
      id: q.connection_id,
      status: 'active',
      scopes: ['repo', 'read:user'],
      expiresAt: null,
      nextRefreshAt: null,
    });
    const tokens = openTokenSet(broker.container.keyring, c!.id, c!.tokenSet!);
    expect(tokens.accessToken).toMatch(/^gho_/);
    secrets.add(tokens.accessToken);
    expect(Buffer.from(c!.tokenSet!.accessToken).toString('latin1')).not.toContain(
      tokens.accessToken,
    );
    expect(fake.tokenRequests.at(-1)?.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    const event = await broker.db.prisma.webhookEvent.findFirstOrThrow({
      where: { type: 'connection.created' },
      orderBy: { createdAt: 'desc' },
    });
    expect((event.payload as { data: object }).data).toStrictEqual({
      connection_id: c!.id,
      service_id: c!.serviceId,
      provider: 'fake-gh',
      subject: flow.subject,
      status: 'active',
    });
  });

  it('connects a Slack-dialect provider (token_type "bot", ok: true)', async () => {
    fake.setBehavior('slack');
    const flow = await begin('fake-gh');
    const q = returned(await callback(flow.callbackUrl, flow.cookie));
    expect(q.status).toBe('success');
    const c = await stored(flow.subject);
    const tokens = openTokenSet(broker.container.keyring, c!.id, c!.tokenSet!);
    expect(tokens).toMatchObject({
      accessToken: expect.stringMatching(/^xoxb-/),
      tokenType: 'Bearer',
    });
    expect(c!.scopes).toEqual(['chat:write']);
    secrets.add(tokens.accessToken);
  });

  it('connects an OIDC provider, validating the ID token; reconnecting keeps the id', async () => {
    fake.setBehavior('oidc');
    const first = await begin('fake-oidc');
    const q1 = returned(await callback(first.callbackUrl, first.cookie));
    const c1 = await stored(first.subject);
    expect(c1?.tokenSet?.idToken).not.toBeNull();
    expect(c1?.expiresAt).not.toBeNull();
    expect(c1?.nextRefreshAt!.getTime()).toBeLessThanOrEqual(c1!.expiresAt!.getTime() - 300_000);
    const again = await begin('fake-oidc', { subject: first.subject });
    const q2 = returned(await callback(again.callbackUrl, again.cookie));
    expect(q2.connection_id).toBe(q1.connection_id);
    const c2 = await stored(first.subject);
    expect(c2?.tokenSet?.version).toBe(2);
    const events = await broker.db.prisma.webhookEvent.findMany({
      where: { type: 'connection.created' },
      orderBy: { createdAt: 'asc' },
    });
    expect((events.at(-1)!.payload as { data: { reconnected?: boolean } }).data.reconnected).toBe(
      true,
    );
    await broker.container.audit.flush();
    const audit = await broker.db.prisma.auditEvent.findMany({
      where: { connectionId: q1.connection_id!, action: 'connection.create' },
    });
    expect(audit.map((a) => a.outcome)).toEqual(['success', 'success']);
  });

  it('without return_to ends on a success page naming the provider and the app', async () => {
    const flow = await begin('fake-gh', { returnTo: false });
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('FakeHub is connected to Acme CRM');
    expect(html).not.toContain('<script');
  });

  it('denied consent (error=access_denied) redirects with status=error, storing nothing', async () => {
    fake.setDeny(true);
    const flow = await begin('fake-gh');
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(returned(res)).toStrictEqual({ status: 'error', error: 'access_denied' });
    await expectNothingStored(flow.subject, res.headers.get('location')!);
  });

  it('denied consent without return_to shows an error page naming provider and app', async () => {
    fake.setDeny(true);
    const flow = await begin('fake-gh', { returnTo: false });
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('FakeHub was not connected');
    expect(html).toContain('access_denied');
    await expectNothingStored(flow.subject, html);
  });

  it.each([
    ['missing', (u: URL) => u.searchParams.delete('state')],
    ['forged', (u: URL) => u.searchParams.set('state', 'A'.repeat(43))],
    ['doubled', (u: URL) => u.searchParams.append('state', 'B'.repeat(43))],
  ])('a %s state shows an error page (400), storing nothing', async (_name, tamper) => {
    const flow = await begin('fake-gh');
    const url = new URL(flow.callbackUrl);
    tamper(url);
    const res = await callback(url.href, flow.cookie);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    await expectNothingStored(flow.subject, await res.text());
  });

  it('a callback without the binding cookie (another browser) is refused; the right browser still succeeds', async () => {
    const flow = await begin('fake-gh');
    const res = await callback(flow.callbackUrl);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('another browser');
    await expectNothingStored(flow.subject, html);
    const wrong = await callback(
      flow.callbackUrl,
      `${flow.cookie.split('=')[0]}=${'x'.repeat(43)}`,
    );
    expect(wrong.status).toBe(400);
    expect(returned(await callback(flow.callbackUrl, flow.cookie)).status).toBe('success');
  });

  it('a replayed callback (state and code reused) is refused and the connection stays intact', async () => {
    const flow = await begin('fake-gh');
    const ok = returned(await callback(flow.callbackUrl, flow.cookie));
    const before = await stored(flow.subject);
    const replay = await callback(flow.callbackUrl, flow.cookie);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('already used');
    const after = await stored(flow.subject);
    expect(after?.id).toBe(ok.connection_id);
    expect(after?.tokenSet?.version).toBe(before?.tokenSet?.version);
  });

  it('an expired state is refused', async () => {
    const flow = await begin('fake-gh');
    await broker.db.prisma.oAuthFlow.updateMany({
      where: { consumedAt: null },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('expired');
    await expectNothingStored(flow.subject, html);
  });

  it.each([
    ['github_bad_code', 'fake-gh', 'invalid_grant'],
    ['slack_bad_code', 'fake-gh', 'invalid_grant'],
    ['down', 'fake-gh', 'upstream_unavailable'],
    ['garbage', 'fake-gh', 'upstream_unavailable'],
    ['wrong_nonce', 'fake-oidc', 'invalid_id_token'],
    ['wrong_aud', 'fake-oidc', 'invalid_id_token'],
    ['bad_signature', 'fake-oidc', 'invalid_id_token'],
  ] as const)(
    'token endpoint %s on %s → status=error&error=%s, nothing stored',
    async (behavior, provider, code) => {
      fake.setBehavior(behavior);
      const flow = await begin(provider);
      const res = await callback(flow.callbackUrl, flow.cookie);
      expect(returned(res)).toStrictEqual({ status: 'error', error: code });
      await expectNothingStored(flow.subject, res.headers.get('location')!);
    },
  );

  it('a failed reconnect leaves the earlier good connection intact', async () => {
    fake.setBehavior('oidc');
    const good = await begin('fake-oidc');
    const ok = returned(await callback(good.callbackUrl, good.cookie));
    const before = await stored(good.subject);
    fake.setBehavior('wrong_nonce');
    const bad = await begin('fake-oidc', { subject: good.subject });
    expect(returned(await callback(bad.callbackUrl, bad.cookie)).error).toBe('invalid_id_token');
    const after = await stored(good.subject);
    expect(after).toStrictEqual(before);
    expect(after?.id).toBe(ok.connection_id);
  });

  it('an iss that is not the provider’s (mix-up, RFC 9207) is refused', async () => {
    fake.setBehavior('oidc');
    const flow = await begin('fake-oidc');
    const url = new URL(flow.callbackUrl);
    url.searchParams.set('iss', 'https://evil.example.com');
    const res = await callback(url.href, flow.cookie);
    expect(returned(res)).toStrictEqual({ status: 'error', error: 'invalid_issuer' });
    await expectNothingStored(flow.subject, '');
    expect(fake.tokenRequests.at(-1)?.get('code')).not.toBe(url.searchParams.get('code'));
  });

  it('a missing iss from a provider that promises one (RFC 9207) is refused', async () => {
    fake.setIssSupported(true);
    await registerProvider(broker, {
      key: 'fake-iss',
      issuer: fake.issuer,
      client_id: 'fake-client',
      client_secret: 'fake-client-secret',
      client_auth_method: 'client_secret_post',
    });
    fake.setIssSupported(false);
    const { apiKey: issKey } = await createService(broker, ['fake-iss']);
    const session = await connectSession(broker, issKey, {
      provider: 'fake-iss',
      subject: 'iss-user',
      return_to: `${APP_ORIGIN}/back`,
    });
    const flow = await flowUntilCallback(session.connect_url);
    const res = await callback(flow.callbackUrl, flow.cookie);
    expect(returned(res)).toStrictEqual({ status: 'error', error: 'invalid_issuer' });
    expect(await stored('iss-user')).toBeNull();
  });

  it('a provider whose PAR endpoint fails sends the user back with upstream_unavailable', async () => {
    fake.setPar(true);
    await registerProvider(broker, {
      key: 'fake-par',
      issuer: fake.issuer,
      client_id: 'fake-client',
      client_secret: 'fake-client-secret',
      client_auth_method: 'client_secret_post',
    });
    fake.setPar(false);
    const { apiKey: parKey } = await createService(broker, ['fake-par']);
    const withReturn = await connectSession(broker, parKey, {
      provider: 'fake-par',
      subject: 'par-user',
      return_to: `${APP_ORIGIN}/back`,
    });
    const res = await pressContinue(withReturn.connect_url);
    expect(returned(res)).toStrictEqual({ status: 'error', error: 'upstream_unavailable' });
    const bare = await connectSession(broker, parKey, {
      provider: 'fake-par',
      subject: 'par-user',
    });
    const page = await pressContinue(bare.connect_url);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('did not answer');
    expect(
      await broker.db.prisma.oAuthFlow.count({
        where: { connectSession: { providerKey: 'fake-par' } },
      }),
    ).toBe(0);
  });

  it('unknown and expired connect links get an error page', async () => {
    const unknown = await fetch(`${broker.url}/connect/tbc_${'x'.repeat(43)}`, {
      redirect: 'manual',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('This link doesn’t work');
    const session = await connectSession(broker, apiKey, { provider: 'fake-gh', subject: 'late' });
    await broker.db.prisma.connectSession.update({
      where: { id: session.id },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    const expired = await fetch(session.connect_url, { redirect: 'manual' });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('expired');
  });

  it('counts flows in /metrics', async () => {
    const res = await request(broker.url).get('/metrics').expect(200);
    expect(res.text).toMatch(
      /token_broker_connect_flows_total\{provider="fake-gh",outcome="completed"\} [1-9]/,
    );
    expect(res.text).toMatch(
      /token_broker_connect_flows_total\{provider="fake-oidc",outcome="failed"\} [1-9]/,
    );
  });

  it('never logs a secret', () => {
    expect(secrets.size).toBeGreaterThan(10);
    for (const s of secrets) expect(broker.logs.text).not.toContain(s);
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import {
  callback,
  connectSession,
  createService,
  flowUntilCallback,
  returned,
  APP_ORIGIN,
} from '../connect/helpers.js';
import { dialectTemplates, startDialectProvider } from './dialect-provider.js';
import { registerProvider } from '../support/factories.js';

type Fake = Awaited<ReturnType<typeof startDialectProvider>>;

describe('provider dialects through the real connect flow', () => {
  let fake: Fake;
  let broker: TestBroker;
  let apiKey: string;
  const names = ['nested', 'form', 'no-expiry', 'rotating', 'realm', 'shop'];

  beforeAll(async () => {
    fake = await startDialectProvider();
    const file = join(await mkdtemp(join(tmpdir(), 'templates-')), 'templates.json');
    await writeFile(file, JSON.stringify(dialectTemplates(fake.origin)));
    broker = await startTestBroker({ env: { PROVIDER_TEMPLATES_FILE: file } });
    for (const name of names) {
      await registerProvider(broker, {
        key: name,
        template: `fake-${name}`,
        client_id: 'client',
        client_secret: 'secret',
      });
    }
    ({ apiKey } = await createService(broker, names));
  });
  afterAll(async () => {
    await broker?.close();
    await fake?.close();
  });

  const api = {
    token: (id: string, query = '') =>
      request(broker.url)
        .get(`/v1/connections/${id}/token${query}`)
        .set('Authorization', `Bearer ${apiKey}`),
    refresh: (id: string) =>
      request(broker.url)
        .post(`/v1/connections/${id}/refresh`)
        .set('Authorization', `Bearer ${apiKey}`),
  };

  /** Runs the whole consent flow; returns the connection id and the authorization URL. */
  async function connect(provider: string, extra: object = {}) {
    const session = await connectSession(broker, apiKey, {
      provider,
      subject: `user-${provider}`,
      return_to: `${APP_ORIGIN}/done`,
      ...extra,
    });
    const { callbackUrl, cookie, authorize } = await flowUntilCallback(session.connect_url);
    const back = returned(await callback(callbackUrl, cookie));
    expect(back.status).toBe('success');
    return { id: back.connection_id!, authorize };
  }

  const tokenCalls = (prefix: string) => fake.requests.filter((r) => r.path.startsWith(prefix));

  it('nested token response (Slack user tokens): serves authed_user.access_token, keeps team and user ids', async () => {
    const { id, authorize } = await connect('nested');
    expect(authorize.searchParams.get('user_scope')).toBe('users:read');
    expect(authorize.searchParams.has('scope')).toBe(false);
    const res = await api.token(id).expect(200);
    expect(res.body).toStrictEqual({
      access_token: expect.stringMatching(/^xoxp-/),
      token_type: 'Bearer',
      expires_at: null,
      scopes: ['users:read'],
      connection_id: id,
      provider: 'nested',
      metadata: { 'team.id': 'T123', 'authed_user.id': 'U456' },
    });
  });

  it('form-encoded token response: read like JSON, expiry included', async () => {
    const before = Date.now();
    const { id } = await connect('form');
    const res = await api.token(id).expect(200);
    expect(res.body.access_token).toMatch(/^form-/);
    expect(res.body.scopes).toEqual(['repo']);
    const expiresAt = Date.parse(res.body.expires_at as string);
    expect(expiresAt).toBeGreaterThan(before + 3500_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it('no expires_in: the token never expires and is never refreshed', async () => {
    const { id } = await connect('no-expiry');
    const calls = tokenCalls('/no-expiry').length;
    const res = await api.token(id, '?min_ttl=3600').expect(200);
    expect(res.body).toMatchObject({
      access_token: expect.stringMatching(/^forever-/),
      expires_at: null,
    });
    expect(tokenCalls('/no-expiry')).toHaveLength(calls);
    const row = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(row.nextRefreshAt).toBeNull();
  });

  it('rotating refresh tokens: every refresh sends the newest one (the old one is spent)', async () => {
    const { id } = await connect('rotating');
    const a = await api.refresh(id).expect(200);
    const b = await api.refresh(id).expect(200);
    expect(a.body.access_token).not.toBe(b.body.access_token);
    // Consent issued rt-c-…; the first refresh spends it and gets rt-r-…, which the second sends.
    expect(
      tokenCalls('/rotating').map((r) => [r.form.grant_type, r.form.refresh_token?.slice(0, 5)]),
    ).toEqual([
      ['authorization_code', undefined],
      ['refresh_token', 'rt-c-'],
      ['refresh_token', 'rt-r-'],
    ]);
    expect(b.body.metadata).toEqual({ instance_url: 'https://acme.my.example.com' });
  });

  it('extra callback parameters (QuickBooks realmId) are kept as metadata', async () => {
    const { id } = await connect('realm');
    const res = await api.token(id).expect(200);
    expect(res.body.metadata).toEqual({ realmId: '4620816365' });
    const row = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(row.metadata).toEqual({ realmId: '4620816365' });
  });

  it.each([
    'evil.com',
    'acme.myshopify.com.evil.com',
    'acme.myshopify.com/../x',
    'acme.myshopify.com:1',
  ])('placeholder hosts: refuses connection_config.shop %s', async (shop) => {
    const res = await request(broker.url)
      .post('/v1/connect-sessions')
      .set('Authorization', `Bearer ${apiKey}`)
      .send({ provider: 'shop', subject: 's', connection_config: { shop } })
      .expect(400);
    expect(res.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'connection_config.shop: invalid value',
    });
  });

  it('placeholder hosts: the shop picks the authorization, token and refresh endpoints', async () => {
    const { id, authorize } = await connect('shop', {
      connection_config: { shop: 'acme.myshopify.com' },
    });
    expect(authorize.pathname).toBe('/shop/acme.myshopify.com/authorize');
    await api.refresh(id).expect(200);
    const paths = tokenCalls('/shop').map((r) => [r.path, r.form.grant_type]);
    expect(paths).toEqual([
      ['/shop/acme.myshopify.com/token', 'authorization_code'],
      ['/shop/acme.myshopify.com/token', 'refresh_token'],
    ]);
  });
});

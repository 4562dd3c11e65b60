import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../tokens/support.js';

describe('connections without a browser: client credentials and static credentials', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let apiKey: string;
  let service: { id: string; client_id: string; client_secret: string };
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    upstream = await startUpstream({
      accessTokenTtl: 600,
      features: { clientCredentials: { enabled: true } },
      clients: [
        {
          client_id: 'machine',
          client_secret: 'machine-secret',
          redirect_uris: ['http://127.0.0.1/cb'],
          grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
          scope: 'api',
        },
      ],
    });
    broker = await startTestBroker({ clock });
    const admin = (body: object) =>
      request(broker.url)
        .post('/admin/providers')
        .set(bearer(broker.adminToken))
        .send(body)
        .expect(201);
    await admin({
      key: 'idp',
      issuer: upstream.issuer,
      client_id: 'machine',
      client_secret: 'machine-secret',
      scopes: ['api'],
    });
    await admin({
      key: 'wrong-secret',
      issuer: upstream.issuer,
      client_id: 'machine',
      client_secret: 'not-the-secret',
      scopes: ['api'],
    });
    await admin({ key: 'notion', template: 'notion', client_id: 'n', client_secret: 's' });
    // `ghost` is in the policy but deleted afterwards: a provider the service may no longer reach.
    await admin({ key: 'ghost', template: 'notion', client_id: 'n', client_secret: 's' });
    const created = await createService(broker, ['idp', 'notion', 'ghost', 'wrong-secret']);
    await request(broker.url)
      .delete('/admin/providers/ghost')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(204);
    ({ api_key: apiKey } = created);
    service = created;
  });
  afterAll(async () => {
    await upstream?.close();
    await broker?.close();
  });

  const create = (body: object, key = apiKey) =>
    request(broker.url).post('/v1/connections').set(bearer(key)).send(body);
  const token = (id: string, query = '') =>
    request(broker.url).get(`/v1/connections/${id}/token${query}`).set(bearer(apiKey));
  const ccGrants = () =>
    upstream.grants.filter((g) => g.grant_type === 'client_credentials').length;

  it('needs a service credential', async () => {
    await request(broker.url).post('/v1/connections').send({}).expect(401);
    await request(broker.url).get('/v1/providers').expect(401);
  });

  it('lists the providers this service may use, without secrets', async () => {
    const res = await request(broker.url).get('/v1/providers').set(bearer(apiKey)).expect(200);
    expect(res.body.data.map((p: { key: string }) => p.key)).toEqual([
      'idp',
      'notion',
      'wrong-secret',
    ]);
    expect(res.body.data[1]).toStrictEqual({
      key: 'notion',
      display_name: 'Notion',
      template: 'notion',
      auth_mode: 'oauth2',
      scopes: [],
      grant_types: ['authorization_code', 'client_credentials'],
      connection_config: [],
      metadata_fields: ['workspace_id', 'workspace_name', 'bot_id'],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/machine-secret|client_id/);
  });

  it('GET /admin/providers/templates lists the whole catalog with its quirks', async () => {
    await request(broker.url).get('/admin/providers/templates').expect(401);
    const res = await request(broker.url)
      .get('/admin/providers/templates')
      .set(bearer(broker.adminToken))
      .expect(200);
    expect(res.body.data.length).toBeGreaterThanOrEqual(25);
    const qb = res.body.data.find((t: { template: string }) => t.template === 'quickbooks');
    expect(qb).toMatchObject({
      tokens_expire: true,
      rotates_refresh_tokens: true,
      callback_params: ['realmId'],
      client_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
    });
    const shop = res.body.data.find((t: { template: string }) => t.template === 'shopify');
    expect(shop.placeholders).toEqual([
      expect.objectContaining({
        name: 'shop',
        level: 'connection',
        pattern: '^[a-z0-9][a-z0-9-]*\\.myshopify\\.com$',
      }),
    ]);
  });

  it('client_credentials: gets a machine token, renews it by expiry with one grant for many readers', async () => {
    const res = await create({
      type: 'client_credentials',
      provider: 'idp',
      subject: 'nightly-sync',
    }).expect(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^conn_/),
      provider: 'idp',
      subject: 'nightly-sync',
      status: 'active',
      scopes: ['api'],
      type: 'client_credentials',
      expires_at: expect.any(String),
    });
    expect(ccGrants()).toBe(1);
    const first = await token(res.body.id as string).expect(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', provider: 'idp' });
    expect(
      await upstream.introspect('machine', 'machine-secret', first.body.access_token),
    ).toMatchObject({
      active: true,
      client_id: 'machine',
    });
    expect(ccGrants()).toBe(1);

    offsetMs += 600_000; // the token has expired for the broker
    const reads = await Promise.all(Array.from({ length: 8 }, () => token(res.body.id as string)));
    expect(reads.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(new Set(reads.map((r) => r.body.access_token)).size).toBe(1);
    expect(reads[0]!.body.access_token).not.toBe(first.body.access_token);
    expect(ccGrants()).toBe(2);

    const forced = await request(broker.url)
      .post(`/v1/connections/${res.body.id}/refresh`)
      .set(bearer(apiKey))
      .expect(200);
    expect(forced.body.access_token).not.toBe(reads[0]!.body.access_token);
    expect(ccGrants()).toBe(3);
  });

  it('client_credentials refused by the provider is a 400 naming the error class', async () => {
    const res = await create({
      type: 'client_credentials',
      provider: 'wrong-secret',
      subject: 'refused',
    }).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toMatch(/invalid_client/);
    expect(await broker.db.prisma.connection.count({ where: { subject: 'refused' } })).toBe(0);
  });

  it('api_key: stored encrypted, served through the token endpoint, replaced on a second create', async () => {
    const secret = 'secret_notion_internal_integration_0123456789';
    const res = await create({
      type: 'api_key',
      provider: 'notion',
      subject: 'acme',
      api_key: secret,
    }).expect(201);
    expect(res.body).toMatchObject({ type: 'api_key', expires_at: null, status: 'active' });
    const id = res.body.id as string;
    const read = await token(id, '?min_ttl=3600').expect(200);
    expect(read.body).toStrictEqual({
      access_token: secret,
      token_type: 'ApiKey',
      expires_at: null,
      scopes: [],
      connection_id: id,
      provider: 'notion',
    });
    const row = await broker.db.prisma.tokenSet.findUniqueOrThrow({ where: { connectionId: id } });
    expect(Buffer.from(row.accessToken).toString('latin1')).not.toContain(secret);
    // A forced refresh has nothing to renew: the same credential comes back.
    const forced = await request(broker.url)
      .post(`/v1/connections/${id}/refresh`)
      .set(bearer(apiKey))
      .expect(200);
    expect(forced.body.access_token).toBe(secret);

    const again = await create({
      type: 'api_key',
      provider: 'notion',
      subject: 'acme',
      api_key: 'rotated',
    }).expect(200);
    expect(again.body.id).toBe(id);
    expect((await token(id).expect(200)).body.access_token).toBe('rotated');
    expect(broker.logs.text).not.toContain(secret);
  });

  it.each([{ type: 'client_credentials' }, { type: 'api_key', api_key: 'key-instead-of-oauth' }])(
    'replacing a consented grant (%j) revokes its refresh token at the provider',
    async (body) => {
      const subject = `replaced-${body.type}`;
      const consented = await upstream.issueTokens('machine', subject, 'api');
      const old = await buildConnection(broker.db.prisma, broker.container.keyring, {
        providerKey: 'idp',
        serviceId: service.id,
        subject,
        accessToken: consented.access_token,
        refreshToken: consented.refresh_token,
        expiresAt: new Date(Date.now() + 600_000),
      });
      const introspect = (t: string) => upstream.introspect('machine', 'machine-secret', t);
      expect((await introspect(consented.refresh_token)).active).toBe(true);
      const res = await create({ provider: 'idp', subject, ...body }).expect(200);
      expect(res.body.id).toBe(old.id);
      expect((await introspect(consented.refresh_token)).active).toBe(false);
      const now = (await token(old.id).expect(200)).body.access_token as string;
      if (body.type === 'client_credentials') expect((await introspect(now)).active).toBe(true);
      else expect(now).toBe('key-instead-of-oauth');
    },
  );

  it('a token exchange (RFC 8693) hands out a static credential with its own scheme', async () => {
    const res = await create({
      type: 'api_key',
      provider: 'notion',
      subject: 'exchange',
      api_key: 'k-1',
    }).expect(201);
    const form = (body: Record<string, string>) =>
      request(broker.url)
        .post('/oauth/token')
        .auth(service.client_id, service.client_secret)
        .type('form')
        .send(body)
        .expect(200);
    const jwt = await form({ grant_type: 'client_credentials' });
    const exchanged = await form({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      resource: res.body.id as string,
      subject_token: jwt.body.access_token as string,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(exchanged.body).toMatchObject({ access_token: 'k-1', token_type: 'ApiKey' });
  });

  it('revoking a static credential forgets it without sending it to the revocation endpoint', async () => {
    const res = await create({
      type: 'api_key',
      provider: 'idp',
      subject: 'key-holder',
      api_key: 'k-2',
    }).expect(201);
    const id = res.body.id as string;
    await request(broker.url).delete(`/v1/connections/${id}`).set(bearer(apiKey)).expect(204);
    const row = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({
      status: 'revoked',
      upstreamRevocation: null,
      pendingRevocation: null,
    });
    expect((await token(id).expect(410)).body.error).toBe('revoked');
  });

  it('basic: served as the base64 of user:password with token_type Basic', async () => {
    const res = await create({
      type: 'basic',
      provider: 'notion',
      subject: 'ops',
      username: 'agent@acme.com/token',
      password: 'p4ss:word',
    }).expect(201);
    const read = await token(res.body.id as string).expect(200);
    expect(read.body.token_type).toBe('Basic');
    expect(Buffer.from(read.body.access_token as string, 'base64').toString()).toBe(
      'agent@acme.com/token:p4ss:word',
    );
  });

  it.each([
    [
      { type: 'basic', provider: 'notion', subject: 's', username: 'a:b', password: 'x' },
      400,
      'username',
    ],
    [{ type: 'api_key', provider: 'notion', subject: 's' }, 400, 'api_key'],
    [{ type: 'oauth2', provider: 'notion', subject: 's' }, 400, 'type'],
    [{ type: 'api_key', provider: 'other', subject: 's', api_key: 'k' }, 403, 'may not use'],
    [{ type: 'api_key', provider: 'ghost', subject: 's', api_key: 'k' }, 404, 'provider'],
  ])('refuses %j with %i', async (body, status, message) => {
    const res = await create(body).expect(status);
    expect(res.body.error_description).toContain(message);
  });
});

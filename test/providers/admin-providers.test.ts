import { generateKeyPair, exportJWK } from 'jose';
import request from 'supertest';
import { startFakeAuthorizationServer } from '../connect/fake-authorization-server.js';
import { buildConnection, closedPortUrl } from '../support/factories.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('admin providers API', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let publicJwk: Record<string, unknown>;
  let privateJwk: Record<string, unknown>;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' };
    privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'k1', alg: 'ES256' };
    broker = await startTestBroker();
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: ['http://localhost/cb'],
        },
        {
          client_id: 'post-client',
          client_secret: 'post-secret',
          token_endpoint_auth_method: 'client_secret_post',
          redirect_uris: ['http://localhost/cb'],
        },
      ],
    });
  });
  afterAll(async () => {
    await upstream.close();
    await broker.close();
  });
  const admin = () => ({ Authorization: `Bearer ${broker.adminToken}` });
  const create = (body: object) =>
    request(broker.url).post('/admin/providers').set(admin()).send(body);

  it('is 401 without the admin token', async () => {
    const res = await request(broker.url).get('/admin/providers').expect(401);
    expect(res.body.error).toBe('invalid_token');
    await request(broker.url).get('/admin/providers/templates').expect(401);
    await request(broker.url).post('/admin/providers').send({ key: 'x' }).expect(401);
    await request(broker.url).put('/admin/providers/abc').send({}).expect(401);
    await request(broker.url).delete('/admin/providers/abc').expect(401);
  });

  it('lists the built-in templates', async () => {
    const res = await request(broker.url)
      .get('/admin/providers/templates')
      .set(admin())
      .expect(200);
    const names = res.body.data.map((t: { template: string }) => t.template);
    expect(names).toEqual(
      expect.arrayContaining(['github', 'google', 'microsoft', 'slack', 'gitlab']),
    );
    expect(
      res.body.data.find((t: { template: string }) => t.template === 'microsoft'),
    ).toMatchObject({
      display_name: 'Microsoft',
      placeholders: [{ name: 'tenant', level: 'provider', default: 'common' }],
    });
  });

  it('registers from a template; the client secret is encrypted and never returned', async () => {
    const res = await create({
      key: 'github',
      template: 'github',
      client_id: 'Iv1.abc',
      client_secret: 'gh-very-secret',
    }).expect(201);
    expect(res.body).toStrictEqual({
      key: 'github',
      display_name: 'GitHub',
      status: 'active',
      status_reason: null,
      status_since: null,
      template: 'github',
      issuer: null,
      authorization_endpoint: 'https://github.com/login/oauth/authorize',
      token_endpoint: 'https://github.com/login/oauth/access_token',
      revocation_endpoint: null,
      client_id: 'Iv1.abc',
      client_auth_method: 'client_secret_post',
      has_client_secret: true,
      has_client_key: false,
      scopes: ['read:user'],
      scope_separator: ' ',
      authorization_params: {},
      token_params: {},
      config: {},
      api_base_url: 'https://api.github.com',
      oidc: false,
      pushed_authorization_requests: false,
      distinct_redirect_uri: false,
      redirect_uri: `${broker.container.config.publicUrl}/oauth/callback`,
      has_webhook_secret: false,
      auth_mode: 'oauth2',
      previous_webhook_secret_expires_at: null,
      webhook_url: `${broker.container.config.publicUrl}/webhooks/providers/github`,
      metadata_fetched_at: null,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const row = await broker.db.prisma.provider.findUniqueOrThrow({ where: { key: 'github' } });
    expect(Buffer.from(row.clientSecret!).toString('latin1')).not.toContain('gh-very-secret');
    expect((await broker.container.providers.get('github'))?.clientSecret).toBe('gh-very-secret');

    const again = await create({
      key: 'github',
      template: 'github',
      client_id: 'x',
      client_secret: 'y',
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('conflict');
    const list = await request(broker.url).get('/admin/providers').set(admin()).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('gh-very-secret');
    expect(broker.logs.text).not.toContain('gh-very-secret');
  });

  it('fills template placeholders from config and validates them', async () => {
    const res = await create({
      key: 'entra',
      template: 'microsoft',
      config: { tenant: 'contoso.onmicrosoft.com' },
      client_id: 'app',
      client_secret: 's',
    }).expect(201);
    expect(res.body.authorization_endpoint).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize',
    );
    const bad = await create({
      key: 'entra2',
      template: 'microsoft',
      config: { tenant: 'evil.com/x?' },
      client_id: 'app',
      client_secret: 's',
    }).expect(400);
    expect(bad.body).toStrictEqual({
      error: 'invalid_request',
      error_description: 'config.tenant: invalid value',
    });
    await create({
      key: 'entra3',
      template: 'microsoft',
      config: { nope: 'x' },
      client_id: 'a',
      client_secret: 's',
    }).expect(400);
  });

  it.each([
    [{ key: 'templates', template: 'github', client_id: 'a', client_secret: 's' }, 'key'],
    [{ key: 'Bad Key', template: 'github', client_id: 'a', client_secret: 's' }, 'key'],
    [{ key: 'nope', template: 'nope', client_id: 'a', client_secret: 's' }, 'template'],
    [{ key: 'nosrc', client_id: 'a', client_secret: 's' }, 'one of template'],
    [
      {
        key: 'half',
        authorization_endpoint: 'https://a.example/auth',
        client_id: 'a',
        client_secret: 's',
      },
      'token_endpoint',
    ],
    [
      {
        key: 'plain',
        authorization_endpoint: 'http://a.example/auth',
        token_endpoint: 'https://a.example/t',
        client_id: 'a',
        client_secret: 's',
      },
      'https',
    ],
    [{ key: 'nosecret', template: 'github', client_id: 'a' }, 'client_secret'],
    [
      {
        key: 'state',
        template: 'github',
        client_id: 'a',
        client_secret: 's',
        authorization_params: { state: 'x' },
      },
      'authorization_params',
    ],
    [
      {
        key: 'oidcless',
        template: 'github',
        client_id: 'a',
        client_secret: 's',
        scopes: ['openid'],
      },
      'openid',
    ],
  ])('rejects %j (400 naming %s)', async (body, word) => {
    const res = await create(body).expect(400);
    expect(res.body.error).toBe('invalid_request');
    expect(res.body.error_description).toContain(word);
  });

  it('registers from OIDC discovery and keeps the metadata', async () => {
    const res = await create({
      key: 'idp',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access'],
    }).expect(201);
    expect(res.body).toMatchObject({
      issuer: upstream.issuer,
      token_endpoint: `${upstream.issuer}/token`,
      oidc: true,
      pushed_authorization_requests: true,
      client_auth_method: 'client_secret_basic',
    });
    expect(res.body.metadata_fetched_at).toEqual(expect.any(String));
  });

  it('refetches discovered metadata once it is stale', async () => {
    const res = await create({
      key: 'idp-stale',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
    }).expect(201);
    expect(res.body.scopes).toEqual(['openid']);
    const old = new Date(Date.now() - 25 * 3600 * 1000);
    await broker.db.prisma.provider.update({
      where: { key: 'idp-stale' },
      data: { metadataFetchedAt: old, metadata: {} },
    });
    await broker.container.providerRegistry.refreshStaleMetadata('idp-stale');
    const row = await broker.db.prisma.provider.findUniqueOrThrow({ where: { key: 'idp-stale' } });
    expect(row.metadataFetchedAt!.getTime()).toBeGreaterThan(old.getTime());
    expect((row.metadata as { token_endpoint?: string }).token_endpoint).toBe(
      `${upstream.issuer}/token`,
    );
  });

  it('answers 502 for an unreachable issuer and 400 for one without metadata', async () => {
    const down = await create({
      key: 'down',
      issuer: new URL(await closedPortUrl()).origin,
      client_id: 'a',
      client_secret: 's',
    });
    expect(down.status).toBe(502);
    expect(down.body.error).toBe('upstream_unavailable');
    const none = await create({
      key: 'none',
      issuer: `${broker.url}/nothing`,
      client_id: 'a',
      client_secret: 's',
    });
    expect(none.status).toBe(400);
  });

  it('authenticates with client_secret_post at oidc-provider', async () => {
    await create({
      key: 'idp-post',
      issuer: upstream.issuer,
      client_id: 'post-client',
      client_secret: 'post-secret',
      client_auth_method: 'client_secret_post',
    }).expect(201);
    const issued = await upstream.issueTokens('post-client', 'alice');
    const p = await broker.container.providers.get('idp-post');
    const tokens = await broker.container.oauth.refresh(p!, issued.refresh_token);
    expect(tokens.accessToken).toEqual(expect.any(String));
  });

  it('authenticates with private_key_jwt; the private key is write-only', async () => {
    const fake = await startFakeAuthorizationServer({
      clientId: 'jwt-client',
      clientJwk: publicJwk,
    });
    try {
      const res = await create({
        key: 'fake-jwt',
        authorization_endpoint: fake.authorizationEndpoint,
        token_endpoint: fake.tokenEndpoint,
        client_id: 'jwt-client',
        client_key: privateJwk,
      }).expect(201);
      expect(res.body).toMatchObject({
        client_auth_method: 'private_key_jwt',
        has_client_key: true,
        has_client_secret: false,
      });
      expect(JSON.stringify(res.body)).not.toContain(String(privateJwk.d));
      const p = await broker.container.providers.get('fake-jwt');
      const tokens = await broker.container.oauth.refresh(p!, 'some-refresh-token');
      expect(tokens.accessToken).toMatch(/^at-/);
      expect(fake.tokenRequests[0]?.get('client_assertion_type')).toBe(
        'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      );
    } finally {
      await fake.close();
    }
  });

  it('pages the list with a cursor', async () => {
    const first = await request(broker.url)
      .get('/admin/providers?limit=1')
      .set(admin())
      .expect(200);
    expect(first.body.data).toHaveLength(1);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await request(broker.url)
      .get(`/admin/providers?limit=1&cursor=${first.body.next_cursor}`)
      .set(admin())
      .expect(200);
    expect(second.body.data[0].key > first.body.data[0].key).toBe(true);
  });

  it('updates keeping the stored secret, and refuses to drop a required one', async () => {
    await create({
      key: 'gl',
      template: 'gitlab',
      client_id: 'a',
      client_secret: 'gl-secret',
    }).expect(201);
    const res = await request(broker.url)
      .put('/admin/providers/gl')
      .set(admin())
      .send({
        template: 'gitlab',
        config: { host: 'git.example.com' },
        client_id: 'b',
        display_name: 'Our GitLab',
      })
      .expect(200);
    expect(res.body).toMatchObject({
      display_name: 'Our GitLab',
      client_id: 'b',
      token_endpoint: 'https://git.example.com/oauth/token',
      has_client_secret: true,
    });
    expect((await broker.container.providers.get('gl'))?.clientSecret).toBe('gl-secret');
    await request(broker.url)
      .put('/admin/providers/gl')
      .set(admin())
      .send({ template: 'gitlab', client_id: 'b', client_secret: null })
      .expect(400);
    await request(broker.url)
      .put('/admin/providers/missing')
      .set(admin())
      .send({ template: 'github', client_id: 'a', client_secret: 's' })
      .expect(404);
  });

  it('deletes a provider; refuses while it has a live connection', async () => {
    await create({ key: 'slack', template: 'slack', client_id: 'a', client_secret: 's' }).expect(
      201,
    );
    const conn = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: 'slack',
      accessToken: 'xoxb-1',
      expiresAt: null,
    });
    const refused = await request(broker.url)
      .delete('/admin/providers/slack')
      .set(admin())
      .expect(409);
    expect(refused.body.error).toBe('conflict');
    await broker.db.prisma.connection.update({
      where: { id: conn.id },
      data: { status: 'revoked' },
    });
    await request(broker.url).delete('/admin/providers/slack').set(admin()).expect(204);
    await request(broker.url).get('/admin/providers/slack').set(admin()).expect(404);
    expect(await broker.container.providers.get('slack')).toBeUndefined();
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import request from 'supertest';
import { APP_ORIGIN, connectSession, createService } from '../connect/helpers.js';
import { loginAndConsent } from '../connect/browser-fixture.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

describe('private_key_jwt (RFC 7523) and PAR (RFC 9126) toward oidc-provider', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let browser: Browser;
  let apiKey: string;
  let jwksServer: Server;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    // Served by URL: oidc-provider refuses inline `jwks` objects made in Jest's module realm.
    jwksServer = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [publicJwk] })),
    );
    await new Promise<void>((ok) => jwksServer.listen(0, '127.0.0.1', ok));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
    broker = await startTestBroker();
    upstream = await startUpstream({
      features: { clientCredentials: { enabled: true } },
      clients: [
        {
          client_id: 'jwt-client',
          token_endpoint_auth_method: 'private_key_jwt',
          token_endpoint_auth_signing_alg: 'ES256',
          jwks_uri: jwksUri,
          redirect_uris: [`${broker.container.config.publicUrl}/oauth/callback`],
          grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
          scope: 'openid offline_access api',
        },
      ],
    });
    await request(broker.url)
      .post('/admin/providers')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .send({
        key: 'idp',
        issuer: upstream.issuer,
        client_id: 'jwt-client',
        client_key: privateJwk,
        scopes: ['openid', 'offline_access', 'api'],
        authorization_params: { prompt: 'consent' },
      })
      .expect(201);
    ({ apiKey } = await createService(broker, ['idp']));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
    await broker?.close();
    jwksServer?.close();
  });

  it('pushes the authorization request and redeems the code with a client assertion', async () => {
    const session = await connectSession(broker, apiKey, {
      provider: 'idp',
      subject: 'erin',
      return_to: `${APP_ORIGIN}/done`,
    });
    const page = await (await browser.newContext()).newPage();
    await page.route(`${APP_ORIGIN}/**`, (r) =>
      r.fulfill({ contentType: 'text/html', body: 'ok' }),
    );
    await page.route(/^https:\/\/(?!app\.example\.com)/, (r) => r.abort());
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));
    await page.goto(session.connect_url);
    await page.click('button[value=continue]');
    await loginAndConsent(page, 'erin');
    await page.waitForURL(`${APP_ORIGIN}/**`);

    const back = new URL(page.url());
    expect(back.searchParams.get('status')).toBe('success');
    const authorize = new URL(seen.find((u) => u.startsWith(`${upstream.issuer}/auth?`))!);
    expect([...authorize.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
    expect(upstream.grants).toContainEqual({
      grant_type: 'authorization_code',
      client_id: 'jwt-client',
    });
    const token = await request(broker.url)
      .get(`/v1/connections/${back.searchParams.get('connection_id')}/token`)
      .set('Authorization', `Bearer ${apiKey}`)
      .expect(200);
    expect(token.body.id_token).toEqual(expect.any(String));
  });

  it('runs client credentials with a client assertion too', async () => {
    const res = await request(broker.url)
      .post('/v1/connections')
      .set('Authorization', `Bearer ${apiKey}`)
      .send({ type: 'client_credentials', provider: 'idp', subject: 'machine', scopes: ['api'] })
      .expect(201);
    expect(res.body).toMatchObject({ type: 'client_credentials', scopes: ['api'] });
    expect(upstream.grants).toContainEqual({
      grant_type: 'client_credentials',
      client_id: 'jwt-client',
    });
  });
});

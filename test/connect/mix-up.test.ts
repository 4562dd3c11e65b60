import request from 'supertest';
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
} from './helpers.js';
import { registerProvider } from '../support/factories.js';

/**
 * Issue 19, item 12: providers that send no RFC 9207 `iss` (GitHub's dialect here) can be
 * given their own redirect URI, so that an answer arriving at another provider's redirect
 * URI (a mix-up, RFC 9700 §4.4.2) is refused before its code is redeemed anywhere.
 */
describe('a distinct redirect URI per provider (mix-up defence without iss)', () => {
  let broker: TestBroker;
  let fake: FakeAuthorizationServer;
  let apiKey: string;
  let n = 0;

  beforeAll(async () => {
    broker = await startTestBroker();
    fake = await startFakeAuthorizationServer({ clientId: 'c', clientSecret: 's' });
    fake.setBehavior('github');
    const common = {
      authorization_endpoint: fake.authorizationEndpoint,
      token_endpoint: fake.tokenEndpoint,
      client_id: 'c',
      client_secret: 's',
      client_auth_method: 'client_secret_post',
      scopes: ['repo'],
    };
    await registerProvider(broker, { key: 'own-uri', distinct_redirect_uri: true, ...common });
    await registerProvider(broker, { key: 'shared-uri', ...common });
    ({ apiKey } = await createService(broker, ['own-uri', 'shared-uri']));
  });
  afterAll(async () => {
    await fake.close();
    await broker.close();
  });

  const begin = async (provider: string) => {
    const session = await connectSession(broker, apiKey, {
      provider,
      subject: `user-${++n}`,
      return_to: `${APP_ORIGIN}/connected`,
    });
    return flowUntilCallback(session.connect_url);
  };
  /** The same answer, delivered to another redirect URI of the broker. */
  const deliveredAt = (callbackUrl: string, path: string) => {
    const moved = new URL(callbackUrl);
    moved.pathname = path;
    return moved.href;
  };

  it('shows the provider its own redirect URI to register, and completes a flow through it', async () => {
    const admin = await request(broker.url)
      .get('/admin/providers/own-uri')
      .set('Authorization', `Bearer ${broker.adminToken}`)
      .expect(200);
    const publicUrl = broker.container.config.publicUrl;
    expect(admin.body).toMatchObject({
      distinct_redirect_uri: true,
      redirect_uri: `${publicUrl}/oauth/callback/own-uri`,
    });
    const flow = await begin('own-uri');
    expect(flow.authorize.searchParams.get('redirect_uri')).toBe(
      `${publicUrl}/oauth/callback/own-uri`,
    );
    const done = await callback(flow.callbackUrl, flow.cookie);
    expect(returned(done)).toMatchObject({ status: 'success' });
    expect(fake.tokenRequests.at(-1)?.get('redirect_uri')).toBe(
      `${publicUrl}/oauth/callback/own-uri`,
    );
  });

  it('refuses an answer of that provider at the shared redirect URI without redeeming its code', async () => {
    const flow = await begin('own-uri');
    const redeemed = fake.tokenRequests.length;
    const res = await callback(deliveredAt(flow.callbackUrl, '/oauth/callback'), flow.cookie);
    expect(returned(res)).toMatchObject({ status: 'error', error: 'invalid_request' });
    expect(fake.tokenRequests.length).toBe(redeemed);
  });

  it('refuses an answer of a shared-URI provider at another provider’s own redirect URI', async () => {
    const flow = await begin('shared-uri');
    expect(new URL(flow.callbackUrl).pathname).toBe('/oauth/callback');
    const redeemed = fake.tokenRequests.length;
    const res = await callback(
      deliveredAt(flow.callbackUrl, '/oauth/callback/own-uri'),
      flow.cookie,
    );
    expect(returned(res)).toMatchObject({ status: 'error', error: 'invalid_request' });
    expect(fake.tokenRequests.length).toBe(redeemed);
  });

  it('answers a stray request to a provider redirect URI with an HTML page, never a 5xx', async () => {
    const res = await callback(`${broker.url}/oauth/callback/${'x'.repeat(100)}?state=nope`);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
  });
});

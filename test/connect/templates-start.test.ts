import { startTestBroker, type TestBroker } from '../support/broker.js';
import { APP_ORIGIN, connectSession, createService, pressContinue } from './helpers.js';
import { registerProvider } from '../support/factories.js';

describe('starting consent at template providers behind an https PUBLIC_URL', () => {
  let broker: TestBroker;
  let apiKey: string;
  beforeAll(async () => {
    broker = await startTestBroker({ env: { PUBLIC_URL: 'https://broker.example.com' } });
    await registerProvider(broker, {
      key: 'github',
      template: 'github',
      client_id: 'Iv1.gh',
      client_secret: 's',
    });
    await registerProvider(broker, {
      key: 'slack',
      template: 'slack',
      client_id: 'sl',
      client_secret: 's',
    });
    await registerProvider(broker, {
      key: 'google',
      template: 'google',
      client_id: 'g.apps',
      client_secret: 's',
      authorization_params: { hd: 'acme.com' },
    });
    ({ apiKey } = await createService(broker, ['github', 'slack', 'google']));
  });
  afterAll(() => broker.close());

  /** Opens the connect link on the broker's own address (PUBLIC_URL is not served here). */
  async function start(body: object) {
    const session = await connectSession(broker, apiKey, body);
    expect(session.connect_url).toBe(`https://broker.example.com/connect/${session.token}`);
    const res = await pressContinue(`${broker.url}/connect/${session.token}`);
    expect(res.status).toBe(303);
    return { url: new URL(res.headers.get('location')!), cookie: res.headers.get('set-cookie')! };
  }

  it('sets a Secure cookie and the https redirect_uri', async () => {
    const { url, cookie } = await start({
      provider: 'github',
      subject: 'u1',
      return_to: `${APP_ORIGIN}/x`,
    });
    expect(`${url.origin}${url.pathname}`).toBe('https://github.com/login/oauth/authorize');
    expect(url.searchParams.get('redirect_uri')).toBe('https://broker.example.com/oauth/callback');
    expect(url.searchParams.get('scope')).toBe('read:user');
    expect(url.searchParams.get('nonce')).toBeNull();
    expect(cookie).toMatch(/; Path=\/oauth\/callback; HttpOnly; Secure; SameSite=Lax$/);
  });

  it('joins scopes with the provider separator', async () => {
    const { url } = await start({
      provider: 'slack',
      subject: 'u2',
      scopes: ['chat:write', 'channels:read'],
    });
    expect(url.searchParams.get('scope')).toBe('chat:write,channels:read');
  });

  it('adds the template and provider authorization parameters and a nonce for OpenID Connect', async () => {
    const { url } = await start({ provider: 'google', subject: 'u3' });
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      scope: 'openid email profile',
      access_type: 'offline',
      prompt: 'consent',
      hd: 'acme.com',
      nonce: expect.any(String),
      code_challenge_method: 'S256',
    });
  });
});

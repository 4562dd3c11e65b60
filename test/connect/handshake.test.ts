import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { discardUncompletedGrants } from '../../src/jobs.js';
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

/** An app's side of the handshake: a verifier kept in its own user session, and its S256 challenge. */
const appVerifier = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('the app handshake: nothing is stored until the app completes with its verifier', () => {
  let broker: TestBroker;
  let fake: FakeAuthorizationServer;
  let app: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let n = 0;

  beforeAll(async () => {
    broker = await startTestBroker();
    fake = await startFakeAuthorizationServer({ clientId: 'c', clientSecret: 's' });
    fake.setBehavior('github');
    await registerProvider(broker, {
      key: 'hub',
      authorization_endpoint: fake.authorizationEndpoint,
      token_endpoint: fake.tokenEndpoint,
      revocation_endpoint: fake.revocationEndpoint,
      client_id: 'c',
      client_secret: 's',
      client_auth_method: 'client_secret_post',
      scopes: ['repo'],
    });
    app = await createService(broker, ['hub'], 'App');
    other = await createService(broker, ['hub'], 'Other app');
  });
  afterAll(async () => {
    await fake.close();
    await broker.close();
  });

  /** Mints a handshake session for `subject` and runs the user's consent up to the app's return. */
  async function consent(subject: string, challenge: string) {
    const session = await connectSession(broker, app.apiKey, {
      provider: 'hub',
      subject,
      return_to: `${APP_ORIGIN}/connected`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const flow = await flowUntilCallback(session.connect_url);
    return { session, back: returned(await callback(flow.callbackUrl, flow.cookie)) };
  }
  const complete = (id: string, body: object, apiKey = app.apiKey) =>
    request(broker.url)
      .post(`/v1/connect-sessions/${id}/complete`)
      .set('Authorization', `Bearer ${apiKey}`)
      .send(body);
  const connectionsOf = async (subject: string) =>
    (
      await request(broker.url)
        .get('/v1/connections')
        .query({ subject })
        .set('Authorization', `Bearer ${app.apiKey}`)
        .expect(200)
    ).body.data as { id: string }[];

  it('redirects with a code instead of a connection id, and stores the connection on complete', async () => {
    const subject = `user-${++n}`;
    const { verifier, challenge } = appVerifier();
    const { session, back } = await consent(subject, challenge);
    expect(back).toStrictEqual({
      status: 'success',
      connect_session_id: session.id,
      code: expect.any(String),
    });
    expect(await connectionsOf(subject)).toEqual([]);

    const done = await complete(session.id, { code: back.code, code_verifier: verifier }).expect(
      200,
    );
    expect(done.body).toMatchObject({ service_id: app.id, provider: 'hub', subject });
    expect((await connectionsOf(subject)).map((c) => c.id)).toEqual([done.body.id]);
    const token = await request(broker.url)
      .get(`/v1/connections/${done.body.id}/token`)
      .set('Authorization', `Bearer ${app.apiKey}`)
      .expect(200);
    expect(token.body.access_token).toEqual(expect.any(String));
  });

  it('refuses a wrong verifier or code without spending the code, and a reused code after', async () => {
    const subject = `user-${++n}`;
    const { verifier, challenge } = appVerifier();
    const { session, back } = await consent(subject, challenge);

    const wrongVerifier = await complete(session.id, {
      code: back.code,
      code_verifier: appVerifier().verifier,
    }).expect(400);
    expect(wrongVerifier.body.error).toBe('invalid_request');
    const wrongCode = await complete(session.id, {
      code: 'not-the-code',
      code_verifier: verifier,
    }).expect(400);
    expect(wrongCode.body.error).toBe('invalid_request');
    expect(await connectionsOf(subject)).toEqual([]);

    await complete(session.id, { code: back.code, code_verifier: verifier }).expect(200);
    const reused = await complete(session.id, { code: back.code, code_verifier: verifier }).expect(
      400,
    );
    expect(reused.body.error).toBe('invalid_request');
    expect(await connectionsOf(subject)).toHaveLength(1);
  });

  it('answers 404 to another service, which cannot take the grant either', async () => {
    const subject = `user-${++n}`;
    const { verifier, challenge } = appVerifier();
    const { session, back } = await consent(subject, challenge);
    const stolen = await complete(
      session.id,
      { code: back.code, code_verifier: verifier },
      other.apiKey,
    ).expect(404);
    expect(stolen.body.error).toBe('not_found');
    await complete(session.id, { code: back.code, code_verifier: verifier }).expect(200);
  });

  it('a link forwarded to a victim never attaches the victim’s account to the sender’s subject', async () => {
    // The attacker mints a link for their own subject and keeps its verifier; the victim
    // consents in their own browser and lands in the app, whose session for the victim
    // holds no verifier for that session (or another one): completing fails, nothing is stored.
    const attacker = appVerifier();
    const { session, back } = await consent('attacker', attacker.challenge);
    const victimsAppSession = appVerifier();
    await complete(session.id, {
      code: back.code,
      code_verifier: victimsAppSession.verifier,
    }).expect(400);
    expect(await connectionsOf('attacker')).toEqual([]);
  });

  it('discards an uncompleted grant when it expires, revoking its tokens at the provider', async () => {
    const subject = `user-${++n}`;
    const { verifier, challenge } = appVerifier();
    const { session, back } = await consent(subject, challenge);
    await broker.db.prisma.connectSession.update({
      where: { id: session.id },
      data: { heldUntil: new Date(Date.now() - 1_000) },
    });
    const c = broker.container;
    const revokedBefore = fake.revocations.length;
    const discarded = await discardUncompletedGrants(c);
    expect(discarded).toBe(1);
    // GitHub's dialect issues no refresh token: the access token is what there is to revoke.
    expect(fake.revocations.slice(revokedBefore).map((f) => f.get('token_type_hint'))).toEqual([
      'access_token',
    ]);
    const row = await c.db.prisma.connectSession.findUniqueOrThrow({ where: { id: session.id } });
    expect(row.heldGrant).toBeNull();
    await complete(session.id, { code: back.code, code_verifier: verifier }).expect(400);
    expect(await connectionsOf(subject)).toEqual([]);
  });
});

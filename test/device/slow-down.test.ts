import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { createService } from '../tokens/support.js';
import { bearer } from '../support/factories.js';

/**
 * A device authorization server answering a scripted sequence at its token endpoint:
 * oidc-provider never answers `slow_down` on its own.
 */
async function startScriptedDeviceServer(script: string[]) {
  const polls: string[] = [];
  const server: Server = createServer((req, res) => {
    const send = (status: number, body: object) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/device') {
      send(200, {
        device_code: 'dc-1',
        user_code: 'WDJB-MJHT',
        verification_uri: 'https://example.com/device',
        expires_in: 120,
        interval: 5,
      });
      return;
    }
    const next = script[polls.length] ?? 'authorization_pending';
    polls.push(next);
    if (next === 'tokens')
      send(200, { access_token: 'device-at', token_type: 'Bearer', expires_in: 600 });
    else send(400, { error: next });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, polls, close: () => new Promise<void>((ok) => server.close(() => ok())) };
}

describe('device flow polling: interval, slow_down and expiry', () => {
  let server: Awaited<ReturnType<typeof startScriptedDeviceServer>>;
  let broker: TestBroker;
  let apiKey: string;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };

  beforeAll(async () => {
    server = await startScriptedDeviceServer(['slow_down', 'authorization_pending', 'tokens']);
    const file = join(await mkdtemp(join(tmpdir(), 'templates-')), 'templates.json');
    await writeFile(
      file,
      JSON.stringify([
        {
          template: 'fake-device',
          displayName: 'Fake device',
          docsUrl: 'https://example.com/docs',
          authorizationEndpoint: `${server.origin}/authorize`,
          tokenEndpoint: `${server.origin}/token`,
          deviceAuthorizationEndpoint: `${server.origin}/device`,
          scopes: ['read'],
          scopeSeparator: ' ',
          clientAuthMethod: 'client_secret_post',
          authorizationParams: {},
          tokenParams: {},
          placeholders: [],
          tokensExpire: true,
          rotatesRefreshTokens: false,
          grants: ['device_code'],
        },
      ]),
    );
    broker = await startTestBroker({ clock, env: { PROVIDER_TEMPLATES_FILE: file } });
    await request(broker.url)
      .post('/admin/providers')
      .set(bearer(broker.adminToken))
      .send({ key: 'dev', template: 'fake-device', client_id: 'c', client_secret: 's' })
      .expect(201);
    ({ api_key: apiKey } = await createService(broker, ['dev']));
  });
  afterAll(async () => {
    await broker?.close();
    await server?.close();
  });

  const read = async (id: string, advanceSeconds: number) => {
    offsetMs += advanceSeconds * 1000;
    return (
      await request(broker.url).get(`/v1/device-sessions/${id}`).set(bearer(apiKey)).expect(200)
    ).body as {
      status: string;
      interval: number;
      connection_id: string | null;
      error: string | null;
    };
  };

  it('backs off by 5 s on slow_down, keeps waiting on authorization_pending, completes on tokens', async () => {
    const started = await request(broker.url)
      .post('/v1/device-sessions')
      .set(bearer(apiKey))
      .send({ provider: 'dev', subject: 'kiosk-7' })
      .expect(201);
    const id = started.body.id as string;
    expect(started.body).toMatchObject({ user_code: 'WDJB-MJHT', interval: 5 });
    expect(started.body).not.toHaveProperty('device_code');

    expect(await read(id, 5)).toMatchObject({ status: 'pending', interval: 10 });
    expect(server.polls).toEqual(['slow_down']);
    // Five seconds are no longer enough: the provider is not asked.
    expect(await read(id, 5)).toMatchObject({ status: 'pending', interval: 10 });
    expect(server.polls).toHaveLength(1);
    expect(await read(id, 5)).toMatchObject({ status: 'pending', interval: 10 });
    expect(server.polls).toEqual(['slow_down', 'authorization_pending']);
    const done = await read(id, 10);
    expect(done).toMatchObject({
      status: 'completed',
      connection_id: expect.stringMatching(/^conn_/),
    });
    const token = await request(broker.url)
      .get(`/v1/connections/${done.connection_id}/token`)
      .set(bearer(apiKey))
      .expect(200);
    expect(token.body.access_token).toBe('device-at');
  });

  it('expires without asking the provider once expires_in has passed', async () => {
    const started = await request(broker.url)
      .post('/v1/device-sessions')
      .set(bearer(apiKey))
      .send({ provider: 'dev', subject: 'kiosk-8' })
      .expect(201);
    const polls = server.polls.length;
    expect(await read(started.body.id as string, 121)).toMatchObject({
      status: 'expired',
      error: 'expired_token',
      connection_id: null,
    });
    expect(server.polls).toHaveLength(polls);
  });
});

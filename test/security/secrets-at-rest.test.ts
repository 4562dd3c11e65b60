import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import request from 'supertest';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { openTokenSet } from '../../src/vault/token-set.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import type { TestDatabase } from '../support/db.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from '../connect/fake-authorization-server.js';
import { callback, connectSession, flowUntilCallback, returned } from '../connect/helpers.js';
import {
  createEndpoint,
  fastWorker,
  startReceiver,
  type Receiver,
  verifySignature,
} from '../webhooks/receiver.js';
import { createService } from '../tokens/support.js';
import { bearer, registerProvider } from '../support/factories.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);

/** The embedded Postgres's own pg_dump (v18 dumps older servers too), else the system one. */
const PG_DUMP = '/usr/bin/pg_dump';

/**
 * The whole database as text: `pg_dump` when it can read this server (the machine's is
 * Debian's 15), otherwise — the embedded Postgres is 18 and ships no pg_dump — every row of
 * every table rendered as text by the server itself, which is what a dump holds too.
 */
async function dumpDatabase(db: TestDatabase): Promise<{ how: string; text: string }> {
  const { rows } = await db.pool.query<{ v: string }>(
    `SELECT current_setting('server_version_num') AS v`,
  );
  const serverMajor = Math.floor(Number(rows[0]?.v) / 10000);
  const dumpMajor = existsSync(PG_DUMP)
    ? Number(/(\d+)\./.exec((await run(PG_DUMP, ['--version'])).stdout)?.[1])
    : 0;
  if (dumpMajor >= serverMajor) {
    const text = (await run(PG_DUMP, ['--no-owner', db.url], { maxBuffer: 64 << 20 })).stdout;
    return { how: 'pg_dump', text };
  }
  const tables = await db.pool.query<{ t: string }>(
    `SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public'`,
  );
  const parts: string[] = [];
  for (const { t } of tables.rows) {
    const data = await db.pool.query<{ r: string }>(`SELECT t::text AS r FROM ${t} t`);
    parts.push(`-- ${t}`, ...data.rows.map((d) => d.r));
  }
  return { how: 'table dump', text: parts.join('\n') };
}

describe('no secret in logs, the database dump, webhooks or responses (full flow)', () => {
  let broker: TestBroker;
  let fake: FakeAuthorizationServer;
  let receiver: Receiver;
  /** Every secret the flow issued, by where it came from. */
  const secrets = new Map<string, string>();
  /** Every response body, minus the fields allowed to carry a secret. */
  const bodies: string[] = [];

  const keep = (label: string, value: unknown) => {
    if (typeof value === 'string' && value.length >= 8) secrets.set(value, label);
  };
  const record = (res: request.Response | { text: string }, allowed: string[] = []) => {
    let text = res.text;
    try {
      const body = JSON.parse(text) as Record<string, unknown>;
      for (const field of allowed) delete body[field];
      text = JSON.stringify(body);
    } catch {
      // HTML pages and empty bodies are scanned as they are.
    }
    bodies.push(text);
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    fake = await startFakeAuthorizationServer({
      clientId: 'fake-client',
      clientSecret: 'fake-client-secret-0123456789',
    });
    fake.setBehavior('oidc');
    broker = await startTestBroker({
      jobs: (c) => [createWebhookWorker(c, fastWorker)],
      env: { LOG_LEVEL: 'trace' },
    });
  }, 30_000);
  afterAll(async () => {
    await broker.close();
    await fake.close();
    await receiver.close();
  });

  it('runs connect, reads, refresh, revoke and webhooks, then finds no secret anywhere', async () => {
    keep('admin token', broker.adminToken);
    keep('provider client secret', 'fake-client-secret-0123456789');
    for (const k of broker.container.config.encryptionKeys)
      keep('encryption key', k.key.toString('base64'));
    await registerProvider(broker, {
      key: 'fake-oidc',
      issuer: fake.issuer,
      client_id: 'fake-client',
      client_secret: 'fake-client-secret-0123456789',
      client_auth_method: 'client_secret_post',
      scopes: ['openid'],
    });
    const service = await createService(broker, ['fake-oidc'], {
      allowed_return_to: ['https://app.example.com'],
    });
    for (const f of ['api_key', 'client_secret'] as const) keep(`service ${f}`, service[f]);
    const hook = await createEndpoint(broker, { url: receiver.url });
    keep('webhook secret', hook.secret);
    keep('webhook secret key', hook.secret.slice('whsec_'.length));

    const jwtRes = await request(broker.url)
      .post('/oauth/token')
      .auth(service.client_id, service.client_secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    keep('broker JWT', jwtRes.body.access_token);
    record(jwtRes, ['access_token']);

    // Connect over HTTP: session, /connect, the provider, the callback.
    const session = await connectSession(broker, service.api_key, {
      provider: 'fake-oidc',
      subject: 'alice',
      return_to: 'https://app.example.com/done',
    });
    keep('connect session token', session.token);
    const flow = await flowUntilCallback(session.connect_url);
    const cb = new URL(flow.callbackUrl);
    for (const k of ['code', 'state']) keep(`callback ${k}`, cb.searchParams.get(k));
    keep('binding cookie', flow.cookie.split('=')[1]);
    const done = await callback(flow.callbackUrl, flow.cookie);
    const connectionId = returned(done).connection_id as string;
    record({ text: await done.text() });

    const tokensNow = async () => {
      const row = await broker.db.prisma.tokenSet.findUniqueOrThrow({ where: { connectionId } });
      const t = openTokenSet(broker.container.keyring, connectionId, row);
      keep('upstream access token', t.accessToken);
      keep('upstream refresh token', t.refreshToken);
      keep('upstream id token', t.idToken);
    };
    await tokensNow();

    // Reads: REST with the API key and the JWT, token exchange, then a forced refresh.
    for (const credential of [service.api_key, jwtRes.body.access_token as string]) {
      const read = await request(broker.url)
        .get(`/v1/connections/${connectionId}/token`)
        .set(bearer(credential))
        .expect(200);
      record(read, ['access_token', 'id_token']);
      record(
        await request(broker.url)
          .get(`/v1/connections/${connectionId}`)
          .set(bearer(credential))
          .expect(200),
      );
    }
    const exchanged = await request(broker.url)
      .post('/oauth/token')
      .auth(service.client_id, service.client_secret)
      .type('form')
      .send({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        resource: connectionId,
        subject_token: jwtRes.body.access_token,
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      })
      .expect(200);
    record(exchanged, ['access_token']);
    const refreshed = await request(broker.url)
      .post(`/v1/connections/${connectionId}/refresh`)
      .set(bearer(service.api_key))
      .expect(200);
    keep('refreshed access token', refreshed.body.access_token);
    record(refreshed, ['access_token', 'id_token']);
    await tokensNow();

    // Everything an admin can list.
    const admin = bearer(broker.adminToken);
    for (const path of [
      '/admin/services',
      '/admin/providers',
      '/admin/providers/fake-oidc',
      '/admin/connections',
      `/admin/connections/${connectionId}`,
      '/admin/webhooks',
      '/admin/webhook-deliveries',
      '/admin/audit',
      '/metrics',
    ]) {
      record(await request(broker.url).get(path).set(admin).expect(200));
    }
    // Dumped while the tokens are stored (encrypted), and again after the revoke erased them.
    const pgDump = () => dumpDatabase(broker.db);
    const { how, text: stored } = await pgDump();
    await request(broker.url).delete(`/admin/connections/${connectionId}`).set(admin).expect(204);
    await waitFor(
      () => receiver.received.some((m) => m.body.includes('connection.revoked')),
      15_000,
      'the connection.revoked webhook',
    );
    // The consent flow produced exactly one connection.created, delivered signed.
    const created = receiver.received.filter(
      (m) => (JSON.parse(m.body) as { type: string }).type === 'connection.created',
    );
    expect(created).toHaveLength(1);
    expect(verifySignature(hook.secret, created[0]!)).toBe(true);
    expect(JSON.parse(created[0]!.body)).toMatchObject({
      data: {
        connection_id: connectionId,
        provider: 'fake-oidc',
        subject: 'alice',
        status: 'active',
      },
    });

    const dump = `${stored}\n${(await pgDump()).text}`;
    const webhookBodies = receiver.received.map((m) => JSON.stringify(m));
    const places: [string, string][] = [
      ['logs', broker.logs.text],
      [how, dump],
      ['webhooks', webhookBodies.join('\n')],
      ['responses', bodies.join('\n')],
    ];
    const leaks = [];
    for (const [secret, label] of secrets) {
      for (const [where, text] of places) {
        if (text.includes(secret)) leaks.push(`${label} in ${where}`);
      }
    }
    console.log(
      `security: ${secrets.size} secrets issued, scanned ${broker.logs.lines.length} log lines, ` +
        `${how} ${dump.length} bytes, ${webhookBodies.length} webhooks, ` +
        `${bodies.length} responses: ${leaks.length} leaks`,
    );
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    expect(dump).toContain('connection.revoked');
    expect(stored).toContain(connectionId);
    expect(leaks).toStrictEqual([]);
  }, 60_000);
});

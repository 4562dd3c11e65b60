import { setTimeout as sleep } from 'node:timers/promises';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { Webhook } from 'standardwebhooks';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { bearer, buildConnection } from '../support/factories.js';
import { createEndpoint, fastWorker, startReceiver, type Receiver } from '../webhooks/receiver.js';
import { githubDelivery, registerFromTemplate, stored } from './support.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'gh-webhook-secret';

describe('POST /webhooks/providers/{key}', () => {
  let broker: TestBroker;
  let receiver: Receiver;
  let endpointSecret: string;
  beforeAll(async () => {
    broker = await startTestBroker({
      env: { BODY_LIMIT_BYTES: '4096' },
      jobs: (c) => [createWebhookWorker(c, fastWorker)],
    });
    receiver = await startReceiver();
    endpointSecret = (
      await createEndpoint(broker, { url: receiver.url, events: ['provider.webhook'] })
    ).secret;
    await registerFromTemplate(broker, 'gh', 'github', SECRET);
    await registerFromTemplate(broker, 'gh-plain', 'github');
    await registerFromTemplate(broker, 'sl', 'slack', 'slack-signing-secret');
    await registerFromTemplate(broker, 'dbx', 'dropbox', 'dropbox-app-secret');
  });
  afterAll(async () => {
    await receiver.close();
    await broker.close();
  });

  const forwarded = (deliveryId: string) =>
    receiver.received.filter(
      (m) =>
        (JSON.parse(m.body) as { data: { delivery_id: string } }).data.delivery_id === deliveryId,
    );

  async function connection(metadata: Record<string, string>, serviceId?: string) {
    const row = await buildConnection(broker.db.prisma, broker.container.keyring, {
      providerKey: 'gh',
      ...(serviceId === undefined ? {} : { serviceId }),
      accessToken: `gho_${Math.random().toString(36).slice(2)}`,
      expiresAt: null,
    });
    await broker.db.prisma.connection.update({ where: { id: row.id }, data: { metadata } });
    return row;
  }

  it('forwards a signed GitHub delivery once as provider.webhook, verified by standardwebhooks, even when sent again', async () => {
    const conn = await connection({ installation_id: '4242' });
    const body = {
      action: 'opened',
      issue: { number: 1, title: 'personal data' },
      installation: { id: 4242 },
    };
    const delivery = { event: 'issues', deliveryId: 'd-e2e-1', body };
    await githubDelivery(broker, 'gh', SECRET, delivery).expect(200);
    const [message] = await waitFor(
      () => forwarded('d-e2e-1').length === 1 && forwarded('d-e2e-1'),
    );
    const verified = new Webhook(endpointSecret).verify(message!.body, {
      'webhook-id': message!.id,
      'webhook-timestamp': message!.timestamp,
      'webhook-signature': message!.signature,
    });
    expect(verified).toStrictEqual({
      id: message!.id,
      type: 'provider.webhook',
      timestamp: expect.any(String),
      data: {
        provider: 'gh',
        delivery_id: 'd-e2e-1',
        event_type: 'issues.opened',
        connection_ids: [conn.id],
        payload: body,
      },
    });
    // GitHub retries with the same X-GitHub-Delivery: acknowledged, not forwarded again.
    await githubDelivery(broker, 'gh', SECRET, delivery).expect(200);
    await sleep(800);
    expect(forwarded('d-e2e-1')).toHaveLength(1);
    const receipts = await broker.db.prisma.providerWebhookReceipt.findMany({
      where: { deliveryId: 'd-e2e-1' },
    });
    expect(receipts).toHaveLength(1);
  });

  it('stores the payload encrypted: the outbox row holds no part of it in clear', async () => {
    const marker = `marker-${Math.random().toString(36).slice(2)}`;
    await githubDelivery(broker, 'gh', SECRET, {
      event: 'push',
      deliveryId: 'd-sealed',
      body: { ref: marker },
    }).expect(200);
    const { rows } = await broker.db.pool.query<{ row: string }>(
      `SELECT e::text AS row FROM webhook_events e, provider_webhook_receipts r
       WHERE r.delivery_id = 'd-sealed' AND e.id = r.event_id`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.row).not.toContain(marker);
    await waitFor(() => forwarded('d-sealed').length === 1);
    expect(forwarded('d-sealed')[0]!.body).toContain(marker);
  });

  it('matches connection_ids on the account fields and is [] when none match', async () => {
    const a = await connection({ installation_id: '77' });
    const b = await connection({ 'user.id': '501' });
    await connection({ installation_id: '78' });
    await githubDelivery(broker, 'gh', SECRET, {
      event: 'push',
      deliveryId: 'd-match',
      body: { installation: { id: 77 }, sender: { id: 501 } },
    }).expect(200);
    await githubDelivery(broker, 'gh', SECRET, {
      event: 'ping',
      deliveryId: 'd-none',
      body: { zen: 'x' },
    }).expect(200);
    const [m] = await waitFor(() => forwarded('d-match').length === 1 && forwarded('d-match'));
    expect(JSON.parse(m!.body).data.connection_ids.sort()).toEqual([a.id, b.id].sort());
    const [none] = await waitFor(() => forwarded('d-none').length === 1 && forwarded('d-none'));
    expect(JSON.parse(none!.body).data).toMatchObject({ event_type: 'ping', connection_ids: [] });
  });

  it('a provider-sent revocation revokes the matched connection: token reads end within 1 s', async () => {
    const service = (
      await request(broker.url)
        .post('/admin/services')
        .set(bearer(broker.adminToken))
        .send({ name: 'app', allowed_providers: ['gh'] })
        .expect(201)
    ).body as { id: string; api_key: string };
    const conn = await connection({ 'user.id': '9001' }, service.id);
    const read = () =>
      request(broker.url).get(`/v1/connections/${conn.id}/token`).set(bearer(service.api_key));
    await read().expect(200);
    await githubDelivery(broker, 'gh', SECRET, {
      event: 'github_app_authorization',
      deliveryId: 'd-revoke',
      body: { action: 'revoked', sender: { id: 9001 } },
    }).expect(200);
    const answeredAt = Date.now();
    const res = await read();
    expect(Date.now() - answeredAt).toBeLessThan(1_000);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const row = await broker.db.prisma.connection.findUniqueOrThrow({ where: { id: conn.id } });
    expect(row.status).toBe('revoked');
    expect(await broker.db.prisma.tokenSet.count({ where: { connectionId: conn.id } })).toBe(0);
    const revokedEvents = await broker.db.pool.query(
      `SELECT 1 FROM webhook_events WHERE type = 'connection.revoked' AND payload->'data'->>'connection_id' = $1`,
      [conn.id],
    );
    expect(revokedEvents.rowCount).toBe(1);
    await broker.container.audit.flush();
    const audit = await broker.db.pool.query(
      `SELECT actor_type, actor_id FROM audit_events WHERE action = 'connection.revoke' AND connection_id = $1`,
      [conn.id],
    );
    expect(audit.rows).toEqual([{ actor_type: 'system', actor_id: 'provider-webhook' }]);
  });

  describe('bad input: a 4xx, nothing stored or forwarded', () => {
    const body = JSON.stringify({ action: 'opened' });
    const sig = (s: string, b = body) =>
      `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;
    const post = (key: string) =>
      request(broker.url)
        .post(`/webhooks/providers/${key}`)
        .set('content-type', 'application/json')
        .set('x-github-event', 'issues')
        .set('x-github-delivery', `bad-${Math.random()}`);

    it.each([
      ['unsigned', () => post('gh').send(body), 401, 'invalid_token'],
      [
        'wrongly signed',
        () => post('gh').set('x-hub-signature-256', sig('wrong')).send(body),
        401,
        'invalid_token',
      ],
      [
        'a body changed after signing',
        () =>
          post('gh').set('x-hub-signature-256', sig(SECRET)).send(body.replace('opened', 'closed')),
        401,
        'invalid_token',
      ],
      [
        'signed but not JSON',
        () => post('gh').set('x-hub-signature-256', sig(SECRET, 'not json')).send('not json'),
        400,
        'invalid_request',
      ],
      [
        'an unknown provider',
        () => post('nope').set('x-hub-signature-256', sig(SECRET)).send(body),
        404,
        'not_found',
      ],
      [
        'a provider without webhook_secret',
        () => post('gh-plain').set('x-hub-signature-256', sig(SECRET)).send(body),
        404,
        'not_found',
      ],
      [
        'an oversized body',
        () =>
          post('gh')
            .set('x-hub-signature-256', sig(SECRET, 'x'.repeat(5000)))
            .send(JSON.stringify({ a: 'x'.repeat(5000) })),
        413,
        'payload_too_large',
      ],
      [
        'stale (Slack, 10 min old)',
        () => {
          const ts = Math.floor(Date.now() / 1000) - 600;
          const b = '{"type":"event_callback","event_id":"Ev-stale","event":{"type":"message"}}';
          return request(broker.url)
            .post('/webhooks/providers/sl')
            .set('content-type', 'application/json')
            .set('x-slack-request-timestamp', String(ts))
            .set(
              'x-slack-signature',
              `v0=${createHmac('sha256', 'slack-signing-secret').update(`v0:${ts}:${b}`).digest('hex')}`,
            )
            .send(b);
        },
        401,
        'invalid_token',
      ],
    ] as const)('%s', async (_what, send, status, error) => {
      const before = await stored(broker);
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.body.error).toBe(error);
      expect(await stored(broker)).toEqual(before);
    });

    it('counts refusals by reason in /metrics and audits them coalesced', async () => {
      await post('gh').set('x-hub-signature-256', sig('wrong')).send(body).expect(401);
      await post('gh').set('x-hub-signature-256', sig('wrong')).send(body).expect(401);
      const metrics = (await request(broker.url).get('/metrics')).text;
      expect(metrics).toMatch(
        /token_broker_provider_webhook_rejections_total\{provider="gh",reason="bad_signature"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /token_broker_provider_webhooks_total\{provider="gh",outcome="forwarded"\} [1-9]/,
      );
      expect(metrics).toMatch(
        /token_broker_provider_webhooks_total\{provider="gh",outcome="duplicate"\} [1-9]/,
      );
      await broker.container.audit.flush();
      const { rows } = await broker.db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM audit_events WHERE action = 'provider_webhook.reject' AND outcome = 'bad_signature'`,
      );
      // At least four refusals with a bad signature so far, in fewer rows than refusals.
      expect(Number(rows[0]!.n)).toBeGreaterThan(0);
      expect(Number(rows[0]!.n)).toBeLessThan(4);
    });
  });

  it('answers Slack url_verification (signed) with its challenge and forwards nothing', async () => {
    const before = await stored(broker);
    const ts = Math.floor(Date.now() / 1000);
    const b = JSON.stringify({ token: 'x', challenge: 'chal-123', type: 'url_verification' });
    const res = await request(broker.url)
      .post('/webhooks/providers/sl')
      .set('content-type', 'application/json')
      .set('x-slack-request-timestamp', String(ts))
      .set(
        'x-slack-signature',
        `v0=${createHmac('sha256', 'slack-signing-secret').update(`v0:${ts}:${b}`).digest('hex')}`,
      )
      .send(b)
      .expect(200);
    expect(res.body).toStrictEqual({ challenge: 'chal-123' });
    expect(await stored(broker)).toEqual(before);
  });

  it("answers Dropbox's GET challenge as nosniff text", async () => {
    const res = await request(broker.url)
      .get('/webhooks/providers/dbx?challenge=dbx-chal')
      .expect(200);
    expect(res.text).toBe('dbx-chal');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    await request(broker.url).get('/webhooks/providers/gh').expect(405);
  });

  it('Asana: keeps the X-Hook-Secret of a handshake carrying the provider token, then verifies X-Hook-Signature with it', async () => {
    await registerFromTemplate(broker, 'asn', 'asana', 'asana-enroll-token');
    const url = '/webhooks/providers/asn';
    // Without the token, a handshake could plant an attacker's secret: refused.
    await request(broker.url).post(url).set('x-hook-secret', 'planted').send('').expect(401);
    const ok = await request(broker.url)
      .post(`${url}?token=asana-enroll-token`)
      .set('x-hook-secret', 'hook-secret-1')
      .send('')
      .expect(200);
    expect(ok.headers['x-hook-secret']).toBe('hook-secret-1');
    const body = JSON.stringify({
      events: [{ action: 'changed', resource: { resource_type: 'task', gid: '1' } }],
    });
    const signed = (secret: string) =>
      request(broker.url)
        .post(`${url}?token=asana-enroll-token`)
        .set('content-type', 'application/json')
        .set('x-hook-signature', createHmac('sha256', secret).update(body).digest('hex'))
        .send(body);
    await signed('planted').expect(401);
    await signed('hook-secret-1').expect(200);
    const row = await broker.db.prisma.provider.findUniqueOrThrow({ where: { key: 'asn' } });
    expect(Buffer.from(row.webhookLearnedSecrets!).toString('latin1')).not.toContain(
      'hook-secret-1',
    );
  });

  it('rotates webhook_secret with an overlap: the replaced secret keeps verifying, and is never shown', async () => {
    await registerFromTemplate(broker, 'gh-rot', 'github', 'old-secret');
    const put = await request(broker.url)
      .put('/admin/providers/gh-rot')
      .set(bearer(broker.adminToken))
      .send({ template: 'github', client_id: 'client', webhook_secret: 'new-secret' })
      .expect(200);
    expect(put.body).toMatchObject({
      has_webhook_secret: true,
      previous_webhook_secret_expires_at: expect.any(String),
    });
    expect(put.body).not.toHaveProperty('webhook_secret');
    expect(JSON.stringify(put.body)).not.toMatch(/old-secret|new-secret/);
    for (const [s, id] of [
      ['old-secret', 'r1'],
      ['new-secret', 'r2'],
    ] as const) {
      await githubDelivery(broker, 'gh-rot', s, { event: 'push', deliveryId: id, body: {} }).expect(
        200,
      );
    }
    await githubDelivery(broker, 'gh-rot', 'other', {
      event: 'push',
      deliveryId: 'r3',
      body: {},
    }).expect(401);
  });
});

describe('provider webhook rate limit', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker({
      env: { RATE_LIMIT_PROVIDER_WEBHOOKS_PER_MINUTE: '3' },
      jobs: () => [],
    });
    await registerFromTemplate(broker, 'gh', 'github', SECRET);
  });
  afterAll(() => broker.close());

  it('answers a burst past the per-provider budget 429 with Retry-After, storing nothing', async () => {
    for (let i = 0; i < 3; i++) {
      await githubDelivery(broker, 'gh', SECRET, {
        event: 'push',
        deliveryId: `burst-${i}`,
        body: {},
      }).expect(200);
    }
    const before = await stored(broker);
    const res = await githubDelivery(broker, 'gh', SECRET, {
      event: 'push',
      deliveryId: 'burst-4',
      body: {},
    });
    expect(res.status).toBe(429);
    expect(res.body.error).toBe('rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await stored(broker)).toEqual(before);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import {
  createEndpoint,
  deliveriesOf,
  emit,
  fastWorker,
  startReceiver,
  verifySignature,
  type Receiver,
} from './receiver.js';
import { waitFor } from '../support/wait.js';

describe('webhook delivery', () => {
  let broker: TestBroker;
  let receiver: Receiver | undefined;
  beforeAll(async () => {
    broker = await startTestBroker({ jobs: (c) => [createWebhookWorker(c, fastWorker)] });
  });
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    // Every enabled endpoint gets every event: each test starts without endpoints.
    await broker.db.prisma.webhookEndpoint.deleteMany();
  });
  afterAll(() => broker.close());

  const admin = () => ({ type: 'bearer' as const });

  it('delivers an enqueued event exactly once, signed per Standard Webhooks', async () => {
    receiver = await startReceiver();
    const { secret } = await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker, 'connection.created', 'conn_once');
    const [message] = await waitFor(() => receiver?.received.length === 1 && receiver.received);
    await sleep(700);
    expect(receiver.received).toHaveLength(1);
    expect(message?.id).toBe(eventId);
    expect(verifySignature(secret, message!)).toBe(true);
    expect(verifySignature(`whsec_${Buffer.alloc(32).toString('base64')}`, message!)).toBe(false);
    expect(Math.abs(Number(message!.timestamp) - Date.now() / 1000)).toBeLessThan(10);
    expect(message!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(message!.body);
    expect(body).toStrictEqual({
      id: eventId,
      type: 'connection.created',
      timestamp: expect.any(String),
      data: {
        connection_id: 'conn_once',
        service_id: 'svc_test',
        provider: 'github',
        subject: 'user-1',
        status: 'active',
      },
    });
    const [row] = await waitFor(async () => {
      const rows = await deliveriesOf(broker, eventId);
      return rows[0]?.status === 'delivered' && rows;
    });
    expect(row).toMatchObject({ attempts: 1, lastStatusCode: 204, lastError: null });
    expect(row?.lastLatencyMs).toEqual(expect.any(Number));
  });

  it('keeps retrying while the receiver is down and delivers with the same webhook-id once it is back', async () => {
    receiver = await startReceiver();
    const { secret } = await createEndpoint(broker, { url: receiver.url });
    await receiver.close(); // connection refused from now on
    const eventId = await emit(broker);
    await waitFor(async () => (await deliveriesOf(broker, eventId))[0]?.attempts === 2 || false);
    const [down] = await deliveriesOf(broker, eventId);
    expect(down).toMatchObject({ status: 'pending', lastError: 'network', lastStatusCode: null });
    await receiver.listen();
    const [message] = await waitFor(() => receiver?.received.length === 1 && receiver.received);
    expect(message?.id).toBe(eventId);
    expect(verifySignature(secret, message!)).toBe(true);
    const [row] = await waitFor(async () => {
      const rows = await deliveriesOf(broker, eventId);
      return rows[0]?.status === 'delivered' && rows;
    });
    expect(row!.attempts).toBeGreaterThanOrEqual(3);
  });

  it('honours Retry-After on 429', async () => {
    receiver = await startReceiver((n) =>
      n === 0 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 200 },
    );
    await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker);
    const first = await waitFor(async () => {
      const [row] = await deliveriesOf(broker, eventId);
      return row?.attempts === 1 && row.lastStatusCode === 429 && row;
    });
    expect(first.status).toBe('pending');
    expect(first.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(receiver.received[0]!.at + 2000);
    await waitFor(() => receiver?.received.length === 2, 10_000, 'the retry');
    const [a, b] = receiver.received;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(2000);
    expect(b!.id).toBe(a!.id);
  });

  it('stops at a 400 without retrying', async () => {
    receiver = await startReceiver(() => ({ status: 400, body: 'x'.repeat(5000) }));
    await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker);
    const row = await waitFor(async () => {
      const [r] = await deliveriesOf(broker, eventId);
      return r?.status === 'failed' && r;
    });
    await sleep(800);
    expect(receiver.received).toHaveLength(1);
    expect(row).toMatchObject({ attempts: 1, lastStatusCode: 400, lastError: 'http_400' });
    expect(row.lastResponse?.length).toBe(256);
  });

  it('replays a delivery with the same webhook-id', async () => {
    receiver = await startReceiver();
    const { secret } = await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker);
    await waitFor(() => receiver?.received.length === 1);
    const [row] = await waitFor(async () => {
      const rows = await deliveriesOf(broker, eventId);
      return rows[0]?.status === 'delivered' && rows;
    });
    await request(broker.url).post(`/admin/webhook-deliveries/${row!.id}/replay`).expect(401);
    const res = await request(broker.url)
      .post(`/admin/webhook-deliveries/${row!.id}/replay`)
      .auth(broker.adminToken, admin())
      .expect(202);
    expect(res.body).toMatchObject({ id: row!.id, event_id: eventId, status: 'pending' });
    await waitFor(() => receiver?.received.length === 2);
    const replayed = receiver.received[1]!;
    expect(replayed.id).toBe(eventId);
    expect(replayed.body).toBe(receiver.received[0]!.body);
    expect(verifySignature(secret, replayed)).toBe(true);
  });

  it('signs with both secrets during a rotation overlap', async () => {
    receiver = await startReceiver();
    const { id, secret: before } = await createEndpoint(broker, { url: receiver.url });
    const rotated = await request(broker.url)
      .post(`/admin/webhooks/${id}/rotate-secret`)
      .auth(broker.adminToken, admin())
      .expect(200);
    const after = rotated.body.secret as string;
    expect(after).not.toBe(before);
    await emit(broker);
    const [message] = await waitFor(() => receiver?.received.length === 1 && receiver.received);
    const parts = message!.signature.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts.every((p) => p.startsWith('v1,'))).toBe(true);
    const only = (sig: string) => ({ ...message!, signature: sig });
    expect(verifySignature(after, only(parts[0]!))).toBe(true);
    expect(verifySignature(before, only(parts[1]!))).toBe(true);
  });

  it('sends an endpoint only the event types it subscribed to', async () => {
    receiver = await startReceiver();
    await createEndpoint(broker, { url: receiver.url, events: ['connection.revoked'] });
    const skipped = await emit(broker, 'connection.created');
    const wanted = await emit(broker, 'connection.revoked');
    await waitFor(() => receiver?.received.length === 1);
    await sleep(500);
    expect(receiver.received.map((m) => m.id)).toEqual([wanted]);
    expect(await deliveriesOf(broker, skipped)).toEqual([]);
  });

  it('fails a delivery once its schedule is spent and disables an endpoint failing throughout', async () => {
    receiver = await startReceiver(() => ({ status: 503 }));
    const { id } = await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker);
    const row = await waitFor(async () => {
      const [r] = await deliveriesOf(broker, eventId);
      return r?.status === 'failed' && r;
    }, 15_000);
    expect(row.attempts).toBe(fastWorker.schedule!.length + 1);
    expect(receiver.received).toHaveLength(fastWorker.schedule!.length + 1);
    const endpoint = await waitFor(async () => {
      const res = await request(broker.url)
        .get(`/admin/webhooks/${id}`)
        .auth(broker.adminToken, admin());
      const body = res.body as { enabled: boolean; disabled_reason: string | null };
      return !body.enabled && body;
    });
    expect(endpoint.disabled_reason).toMatch(/^failing since .*exhausted its retries \(http_503\)/);
    expect(broker.logs.text).toContain('webhook endpoint disabled after failing continuously');
    await request(broker.url)
      .post(`/admin/webhook-deliveries/${row.id}/replay`)
      .auth(broker.adminToken, admin())
      .expect(409);
    const enabled = await request(broker.url)
      .patch(`/admin/webhooks/${id}`)
      .auth(broker.adminToken, admin())
      .send({ enabled: true })
      .expect(200);
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('counts deliveries and the backlog in /metrics', async () => {
    const res = await request(broker.url).get('/metrics').expect(200);
    expect(res.text).toMatch(/token_broker_webhook_deliveries_total\{outcome="delivered"\} \d+/);
    expect(res.text).toContain('token_broker_webhook_backlog');
  });

  it('never logs or sends the endpoint secret', async () => {
    receiver = await startReceiver();
    const { secret } = await createEndpoint(broker, { url: receiver.url });
    await emit(broker);
    await waitFor(() => receiver?.received.length === 1);
    const key = secret.slice('whsec_'.length);
    expect(broker.logs.text).not.toContain(key);
    expect(JSON.stringify(receiver.received)).not.toContain(key);
  });
});

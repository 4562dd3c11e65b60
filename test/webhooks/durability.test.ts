import { setTimeout as sleep } from 'node:timers/promises';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker } from '../support/child-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
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

/** Brokers sharing one database must share its encryption key to read endpoint secrets. */
const shared = () => ({ TOKEN_ENCRYPTION_KEYS: testEncryptionKey() });

describe('webhook durability', () => {
  let db: TestDatabase;
  let receiver: Receiver | undefined;
  const brokers: TestBroker[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.close()));
    await receiver?.close();
    receiver = undefined;
    await db.drop();
  });

  const start = async (env: Record<string, string>, worker: boolean) => {
    const broker = await startTestBroker({
      db,
      env,
      ...(worker ? { jobs: (c) => [createWebhookWorker(c, fastWorker)] } : {}),
    });
    brokers.push(broker);
    return broker;
  };

  it('two broker processes deliver each of N events exactly once', async () => {
    const env = shared();
    const [a] = [await start(env, true), await start(env, true)];
    receiver = await startReceiver();
    const { secret } = await createEndpoint(a, { url: receiver.url });
    const n = 40;
    const ids = await Promise.all(
      Array.from({ length: n }, (_, i) => emit(a, 'connection.refreshed', `conn_${i}`)),
    );
    await waitFor(() => receiver!.received.length >= n, 15_000, `${n} deliveries`);
    await sleep(1_000);
    expect(receiver.received.map((m) => m.id).sort()).toEqual([...ids].sort());
    expect(receiver.received.every((m) => verifySignature(secret, m))).toBe(true);
    const rows = await db.prisma.webhookDelivery.findMany();
    expect(rows).toHaveLength(n);
    const deliveredBy = brokers.map(
      (b) => b.logs.lines.filter((l) => l.includes('"webhook delivered"')).length,
    );
    // Each delivery was made (and logged) by exactly one of the two workers.
    expect(deliveredBy.reduce((x, y) => x + y, 0)).toBe(n);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
  });

  it('delivers an event committed while no worker ran once a broker starts', async () => {
    const env = shared();
    const writer = await start(env, false);
    receiver = await startReceiver();
    await createEndpoint(writer, { url: receiver.url });
    const eventId = await emit(writer, 'connection.revoked');
    await brokers.splice(0).pop()!.close();
    await sleep(300);
    expect(receiver.received).toHaveLength(0);
    await start(env, true);
    await waitFor(() => receiver!.received.length === 1);
    expect(receiver.received[0]!.id).toBe(eventId);
  });

  it('wakes on NOTIFY instead of waiting for the next poll', async () => {
    const env = shared();
    const broker = await startTestBroker({
      db,
      env,
      jobs: (c) => [createWebhookWorker(c, { ...fastWorker, pollIntervalMs: 60_000 })],
    });
    brokers.push(broker);
    await waitFor(async () => {
      const { rows } = await db.pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN webhook_events'`,
      );
      return rows.length === 1;
    });
    receiver = await startReceiver();
    await createEndpoint(broker, { url: receiver.url });
    const sent = Date.now();
    await emit(broker);
    await waitFor(() => receiver!.received.length === 1, 5_000);
    expect(receiver.received[0]!.at - sent).toBeLessThan(3_000);
  });

  it('on stop, gives an unfinished delivery back at once instead of waiting out its lease', async () => {
    const env = shared();
    const broker = await start(env, true);
    receiver = await startReceiver((n) => (n === 0 ? 'hang' : { status: 200 }));
    await createEndpoint(broker, { url: receiver.url });
    const eventId = await emit(broker);
    await waitFor(() => receiver!.received.length === 1);
    const stopping = Date.now();
    await brokers.splice(0).pop()!.close();
    expect(Date.now() - stopping).toBeLessThan(fastWorker.stopGraceMs! + 2_000);
    const [released] = await deliveriesOf(broker, eventId);
    expect(released).toMatchObject({ status: 'pending', attempts: 0, leaseExpiresAt: null });
    await start(env, true);
    await waitFor(() => receiver!.received.length === 2, 5_000, 'delivery by the next broker');
  });

  it('delivers after the broker is killed with SIGKILL mid-delivery, with the same webhook-id', async () => {
    const env = shared();
    const admin = await start(env, false);
    receiver = await startReceiver((n) => (n === 0 ? 'hang' : { status: 200 }));
    const { secret } = await createEndpoint(admin, { url: receiver.url });
    const child = await startChildBroker(
      { ...env, DATABASE_URL: db.url, ADMIN_API_TOKEN: admin.adminToken },
      { script: 'test/webhooks/child-broker.ts' },
    );
    try {
      const eventId = await emit(admin);
      await waitFor(() => receiver!.received.length === 1, 10_000, 'the child to start delivering');
      const [claimed] = await deliveriesOf(admin, eventId);
      expect(claimed).toMatchObject({ status: 'pending', attempts: 1 });
      expect(claimed!.leaseExpiresAt).not.toBeNull();
    } finally {
      await child.kill9();
    }
    // The killed process's lease runs out; a new broker picks the delivery up.
    await start(env, true);
    await waitFor(() => receiver!.received.length === 2, 15_000, 'redelivery after the lease');
    const [first, second] = receiver.received;
    expect(second!.id).toBe(first!.id);
    expect(verifySignature(secret, second!)).toBe(true);
    const [row] = await waitFor(async () => {
      const rows = await deliveriesOf(admin, first!.id);
      return rows[0]?.status === 'delivered' && rows;
    });
    expect(row).toMatchObject({ attempts: 2, lastStatusCode: 200 });
  }, 60_000);
});

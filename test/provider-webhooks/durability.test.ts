import { setTimeout as sleep } from 'node:timers/promises';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { startTestBroker, testEncryptionKey, type TestBroker } from '../support/broker.js';
import { startChildBroker } from '../support/child-broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createEndpoint, fastWorker, startReceiver, type Receiver } from '../webhooks/receiver.js';
import { githubDelivery, registerFromTemplate } from './support.js';
import { waitFor } from '../support/wait.js';

describe('provider webhook durability', () => {
  let db: TestDatabase;
  let receiver: Receiver;
  const brokers: TestBroker[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await Promise.all(brokers.map((b) => b.close()));
    await receiver.close();
    await db.drop();
  });

  it('a broker killed with SIGKILL right after its 2xx still forwards the delivery, once', async () => {
    // Brokers sharing a database share its encryption key.
    const env = { TOKEN_ENCRYPTION_KEYS: testEncryptionKey() };
    const admin = await startTestBroker({ db, env, jobs: () => [] });
    brokers.push(admin);
    await registerFromTemplate(admin, 'gh', 'github', 'kill-secret');
    await createEndpoint(admin, { url: receiver.url, events: ['provider.webhook'] });
    const child = await startChildBroker(
      { ...env, DATABASE_URL: db.url, ADMIN_API_TOKEN: admin.adminToken },
      { script: 'test/provider-webhooks/child-broker.ts' },
    );
    const delivery = { event: 'push', deliveryId: 'd-kill9', body: { ref: 'refs/heads/main' } };
    try {
      await githubDelivery({ ...admin, url: child.url }, 'gh', 'kill-secret', delivery).expect(200);
    } finally {
      await child.kill9();
    }
    await sleep(300);
    expect(receiver.received).toHaveLength(0);
    // The 2xx came after the commit: a broker started later finds the event and sends it.
    const worker = await startTestBroker({
      db,
      env,
      jobs: (c) => [createWebhookWorker(c, fastWorker)],
    });
    brokers.push(worker);
    const [message] = await waitFor(
      () => receiver.received.length === 1 && receiver.received,
      15_000,
    );
    expect(JSON.parse(message!.body)).toMatchObject({
      type: 'provider.webhook',
      data: { provider: 'gh', delivery_id: 'd-kill9', event_type: 'push', payload: delivery.body },
    });
    // GitHub, not having seen the 2xx in time, might retry: it is acknowledged, not forwarded.
    await githubDelivery(worker, 'gh', 'kill-secret', delivery).expect(200);
    await sleep(800);
    expect(receiver.received).toHaveLength(1);
  }, 60_000);
});

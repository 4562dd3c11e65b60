// A broker in a child process, so a test can kill it with SIGKILL mid-delivery.
// Reads its configuration from the environment; prints "ready" once serving.
import { startBroker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { fastWorker } from './receiver.js';

const config = loadConfig(process.env);
await startBroker(config, createLogger({ level: 'warn' }), {
  jobs: (c) => [createWebhookWorker(c, { ...fastWorker, leaseMs: 3_000 })],
});
process.stdout.write('ready\n');

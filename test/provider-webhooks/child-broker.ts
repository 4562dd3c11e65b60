// A broker in a child process without a webhook worker: it answers provider webhooks and
// queues them, and nothing forwards them until another broker runs the worker. Killed
// with SIGKILL by the test right after its 2xx. Prints "ready" once serving.
import { startBroker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';

const config = loadConfig(process.env);
const logger = createLogger({ level: 'info' });
await startBroker(config, logger, { jobs: () => [] });
// Log lines are batched: the "listening" line (its port) must be out before "ready".
logger.flush();
process.stdout.write('ready\n');

// A broker replica in a process of its own running only the refresher on a fast cron, so
// a test can kill it with SIGKILL in the middle of a sweep. Reads its configuration from
// the environment (REFRESH_TEST_LEASE_MS: the claim lease); prints "ready" once serving.
// SIGTERM stops it gracefully, as src/main.ts does: refreshes in flight are stored first.
import { startBroker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { createRefreshJob } from '../../src/refresh/job.js';

const config = loadConfig(process.env);
const broker = await startBroker(config, createLogger({ level: config.logLevel }), {
  jobs: (c) => [createRefreshJob(c, { leaseMs: Number(process.env.REFRESH_TEST_LEASE_MS) })],
});
process.once('SIGTERM', () => void broker.stop().then(() => process.exit(0)));
process.stdout.write('ready\n');

// A broker replica in a process of its own running only the refresher on a fast cron, so
// a test can kill it with SIGKILL in the middle of a sweep. Reads its configuration from
// the environment (REFRESH_TEST_LEASE_MS: the claim lease); prints "ready" once serving.
import { startBroker } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { createRefreshJob } from '../../src/refresh/job.js';

const config = loadConfig(process.env);
await startBroker(config, createLogger({ level: config.logLevel }), {
  jobs: (c) => [createRefreshJob(c, { leaseMs: Number(process.env.REFRESH_TEST_LEASE_MS) })],
});
process.stdout.write('ready\n');

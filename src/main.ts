import { ConfigError, loadConfig } from './config/index.js';
import { startBroker } from './bootstrap.js';
import { defaultJobs } from './jobs.js';
import { createLogger } from './observability/logger.js';
import { flushTraces } from './observability/spans.js';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`token-broker: configuration error: ${error.message}\n`);
    process.exit(78);
  }
  throw error;
}

const logger = createLogger({ level: config.logLevel });
const broker = await startBroker(config, logger, { jobs: defaultJobs }).catch((error: unknown) => {
  logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'start-up failed');
  logger.flush();
  process.exit(1);
});

const shutdown = (signal: string) => {
  logger.info({ signal }, 'shutting down');
  broker
    .stop()
    .then(flushTraces)
    .then(() => {
      logger.flush();
      process.exit(0);
    })
    .catch((error: unknown) => {
      logger.error({ err: String(error) }, 'shutdown failed');
      process.exit(1);
    });
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));

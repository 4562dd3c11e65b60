import { ConfigError, loadConfig } from './config/index.js';
import { startBroker } from './bootstrap.js';
import { firstRunGuide } from './first-run-guide.js';
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

const logger = createLogger({ level: config.logLevel, format: config.logFormat });
const broker = await startBroker(config, logger, { jobs: defaultJobs }).catch((error: unknown) => {
  logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'start-up failed');
  logger.flush();
  // The one failure a newcomer meets most often gets a line they can act on.
  if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `token-broker: port ${config.port} is already in use (another broker running?); stop it or set PORT\n`,
    );
  }
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

// For the person at the terminal, on stderr, so stdout stays a stream of JSON log lines.
if (config.nodeEnv === 'development') {
  logger.flush();
  process.stderr.write(firstRunGuide(broker.container.config, broker.adminTokenSource));
}

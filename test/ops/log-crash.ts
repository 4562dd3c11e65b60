// A process that logs through the broker's default destination (buffered stdout) and then
// dies of an uncaught exception, for test/ops/logging.test.ts.
import { createLogger } from '../../src/observability/logger.js';

const logger = createLogger({ level: 'info' });
logger.info({ marker: process.argv[2] }, 'last words');
setImmediate(() => {
  throw new Error('crash on purpose');
});

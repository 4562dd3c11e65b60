import { createServer } from 'node:http';
import pino from 'pino';
import { checkPhase } from '../src/eventually.js';
import { writeJsonText } from '../src/http/middleware/errors.js';
import { observeRequest, requestIdOf } from '../src/http/middleware/observe.js';
import { responseHeaders } from '../src/http/response-headers.js';
import { TOKEN_ROUTE } from '../src/http/token-read.js';
import { createLogger } from '../src/observability/logger.js';
import { TOKEN_BODY } from './token-body.js';

/**
 * The broker's HTTP layer alone, with the broker's own functions: each answer gets a
 * request id, is observed (latency histogram, the `info` summary), carries every response
 * header the broker sends and is written in the check phase, as a token read is. There is
 * no authentication, cache lookup, audit entry or read metric: the same constant body as
 * the bare server. What it reaches is the ceiling of any answer the broker makes. Prints
 * its port on stdout; its log lines are written to /dev/null.
 */
const logger = createLogger({
  level: process.env.LOG_LEVEL ?? 'info',
  destination: pino.destination({ dest: '/dev/null', sync: false }),
});
const server = createServer((req, res) => {
  const requestId = requestIdOf(req);
  observeRequest(logger, req, res, requestId, () => TOKEN_ROUTE, { summarise: true });
  void checkPhase().then(() => writeJsonText(res, 200, TOKEN_BODY, responseHeaders(requestId)));
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

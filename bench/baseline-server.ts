import { createServer } from 'node:http';
import { TOKEN_BODY } from './token-body.js';

/**
 * The ceiling of any Node HTTP service on this machine: bare `node:http` answering a
 * constant JSON body of a token's size. Prints its port on stdout.
 */
const length = String(Buffer.byteLength(TOKEN_BODY));

const server = createServer((_req, res) => {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': length,
  });
  res.end(TOKEN_BODY);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

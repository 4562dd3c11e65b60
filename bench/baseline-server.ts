import { createServer } from 'node:http';

/**
 * The ceiling of any Node HTTP service on this machine: bare `node:http` answering a
 * constant JSON body of a token's size. Prints its port on stdout.
 */
const body = JSON.stringify({
  access_token: 'a'.repeat(120),
  token_type: 'Bearer',
  expires_at: '2030-01-01T00:00:00.000Z',
  scopes: ['openid', 'offline_access', 'api'],
  connection_id: 'conn_0123456789abcdefghij',
  provider: 'bench',
});
const length = String(Buffer.byteLength(body));

const server = createServer((_req, res) => {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': length,
  });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

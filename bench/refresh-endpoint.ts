// A local OAuth token endpoint for bench:refresh, in a process of its own (its CPU is not
// the broker's). Refresh tokens are `rt.<connection>.<generation>`: a grant is good only for
// the connection's current generation and rotates it, so a refresh token used twice (a
// duplicate grant) is seen without any list of issued tokens. Prints its port.
//   GET /stats → {grants, duplicates}   POST /reset → forget every generation
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const generation = new Map<string, number>();
let grants = 0;
let duplicates = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ grants, duplicates }));
    return;
  }
  if (req.method === 'POST' && req.url === '/reset') {
    generation.clear();
    grants = 0;
    duplicates = 0;
    res.writeHead(204).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    grants++;
    const [, id = '', gen = ''] = (new URLSearchParams(body).get('refresh_token') ?? '').split('.');
    const current = generation.get(id) ?? 0;
    if (Number(gen) !== current) {
      duplicates++;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"error":"invalid_grant"}');
      return;
    }
    generation.set(id, current + 1);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        access_token: `at-${randomBytes(24).toString('base64url')}`,
        refresh_token: `rt.${id}.${current + 1}`,
        token_type: 'Bearer',
        expires_in: 3600,
      }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

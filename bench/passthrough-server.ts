import { createServer } from 'node:http';
import { Pool } from 'undici';

/**
 * The ceiling of any Node proxy on this machine: bare `node:http` forwarding each request
 * to the upstream (argv[2]) over a keep-alive undici pool, as the broker does, with none of
 * the broker's work (no authentication, token, audit, log line or metrics). A path
 * `…/proxy/<rest>` goes to `/<rest>`. Prints its port on stdout.
 */
const upstream = new Pool(process.argv[2]!, { connections: 64 });

const server = createServer((req, res) => {
  const at = req.url!.indexOf('/proxy/');
  upstream.request({ method: 'GET', path: at < 0 ? req.url! : req.url!.slice(at + 6) }).then(
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers as Record<string, string>);
      answer.body.pipe(res);
    },
    () => res.writeHead(502).end(),
  );
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));

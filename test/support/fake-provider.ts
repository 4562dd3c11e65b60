import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeHandler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/**
 * A deliberately misbehaving token/revocation endpoint on 127.0.0.1, for faults a real
 * provider cannot produce on demand (429/5xx, garbage bodies, hangs, resets). Each request
 * is answered by the next scripted handler (the last one repeats).
 *
 * @example
 * const fake = await startFakeProvider([status(503, { 'retry-after': '1' }), okTokens()]);
 */
export async function startFakeProvider(script: FakeHandler[]) {
  const requests: { path: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body });
      const handler = script[Math.min(requests.length - 1, script.length - 1)];
      handler?.(req, body, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    /** Replaces the script (e.g. the provider recovers). */
    setScript(next: FakeHandler[]) {
      script = next;
      requests.length = 0;
    },
    metadata: {
      issuer: url,
      authorization_endpoint: `${url}/authorize`,
      token_endpoint: `${url}/token`,
      revocation_endpoint: `${url}/revoke`,
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Answers with a status, headers and an optional JSON body. */
export const status =
  (code: number, headers: Record<string, string> = {}, body?: unknown): FakeHandler =>
  (_req, _body, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(
      body === undefined
        ? JSON.stringify({ error: 'temporarily_unavailable' })
        : JSON.stringify(body),
    );
  };

/** A valid token response with rotating tokens named after the request count. */
export const okTokens =
  (expiresIn = 3600): FakeHandler =>
  (_req, _body, res) => {
    const n = Math.random().toString(36).slice(2, 10);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: `at-${n}`,
        refresh_token: `rt-${n}`,
        token_type: 'Bearer',
        expires_in: expiresIn,
      }),
    );
  };

/** Answers 200 with a body that is not JSON. */
export const garbage: FakeHandler = (_req, _body, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('<html>not json');
};

/** Never answers (the caller's timeout must fire). */
export const hang: FakeHandler = () => undefined;

/** Drops the TCP connection without an answer. */
export const reset: FakeHandler = (req) => req.socket.destroy();

import { Agent, request } from 'node:http';

/** One request as the fuzzer sends it: raw path (already encoded), headers, raw body bytes. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A keep-alive HTTP client that sends bytes exactly as given (no JSON encoding, no path
 * normalisation), so that malformed requests reach the broker as a hostile client sends them.
 */
export function createRawClient(baseUrl: string, maxSockets = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const { hostname, port } = new URL(baseUrl);
  const send = (r: FuzzRequest) =>
    new Promise<FuzzResponse>((ok, fail) => {
      const req = request(
        {
          agent,
          host: hostname,
          port,
          method: r.method,
          path: r.path,
          headers: {
            ...r.headers,
            ...(r.body ? { 'content-length': String(r.body.length) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            ok({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', fail);
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`timeout: ${r.method} ${r.path}`)));
      req.on('error', fail);
      req.end(r.body);
    });
  return { send, close: () => agent.destroy() };
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function pool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

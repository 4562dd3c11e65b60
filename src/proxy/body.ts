import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { BrokerError } from '../errors/index.js';

/** A request body up to this size is kept in memory so that a retry can send it again. */
export const REPLAYABLE_BODY_BYTES = 1024 * 1024;

export const payloadTooLarge = (limit: number) =>
  new BrokerError('payload_too_large', `the request body is larger than ${limit} bytes`);

/** How a proxied request's body is sent: none, kept (sendable again), or streamed once. */
export type ProxyBody =
  { kind: 'none' } | { kind: 'kept'; bytes: Buffer } | { kind: 'stream'; stream: Readable };

/**
 * Prepares the caller's body: refused at once when its `Content-Length` is over `limit`;
 * read into memory when it declares at most {@link REPLAYABLE_BODY_BYTES}; otherwise
 * (larger, or chunked) streamed through a counter that fails it past `limit`.
 *
 * @throws BrokerError payload_too_large (413).
 * @example const body = await prepareBody(req, req.headers['content-length'], 10 * 2 ** 20);
 */
export async function prepareBody(
  source: Readable | undefined,
  contentLength: number | undefined,
  limit: number,
): Promise<ProxyBody> {
  if (!source) return { kind: 'none' };
  if (contentLength !== undefined && contentLength > limit) throw payloadTooLarge(limit);
  if (contentLength !== undefined && contentLength <= REPLAYABLE_BODY_BYTES) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) throw payloadTooLarge(limit);
      chunks.push(chunk);
    }
    return { kind: 'kept', bytes: Buffer.concat(chunks, size) };
  }
  let seen = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > limit ? payloadTooLarge(limit) : null, chunk);
    },
  });
  source.on('error', (error) => counted.destroy(error));
  return { kind: 'stream', stream: source.pipe(counted) };
}

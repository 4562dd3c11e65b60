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

/** Reads `source` until it ends or holds more than `max` bytes (then it is left paused). */
function readUpTo(source: Readable, max: number) {
  return new Promise<{ chunks: Buffer[]; size: number; ended: boolean }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = () => {
      source.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= max) return;
      source.pause();
      settle();
      resolve({ chunks, size, ended: false });
    };
    const onEnd = () => {
      settle();
      resolve({ chunks, size, ended: true });
    };
    const onError = (error: Error) => {
      settle();
      reject(error);
    };
    source.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * Prepares the caller's body: refused at once when its `Content-Length` is over `limit`;
 * read into memory when it turns out to be at most {@link REPLAYABLE_BODY_BYTES} (declared
 * so, or chunked and ending within it); otherwise streamed through a counter that fails
 * it past `limit`. A chunked body over `limit` is refused before anything is sent when
 * `limit` is at most {@link REPLAYABLE_BODY_BYTES}; past that, its stream is cut at the
 * limit, so the provider never receives a complete request.
 *
 * @throws BrokerError payload_too_large (413).
 * @example const body = await prepareBody(req, 12, 10 * 2 ** 20); // { kind: 'kept', bytes }
 */
export async function prepareBody(
  source: Readable | undefined,
  contentLength: number | undefined,
  limit: number,
): Promise<ProxyBody> {
  if (!source) return { kind: 'none' };
  if (contentLength !== undefined && contentLength > limit) throw payloadTooLarge(limit);
  let head: Buffer[] = [];
  let seen = 0;
  if (contentLength === undefined || contentLength <= REPLAYABLE_BODY_BYTES) {
    const read = await readUpTo(source, Math.min(limit, REPLAYABLE_BODY_BYTES));
    if (read.size > limit) throw payloadTooLarge(limit);
    if (read.ended) return { kind: 'kept', bytes: Buffer.concat(read.chunks, read.size) };
    head = read.chunks;
    seen = read.size;
  }
  const counted = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > limit ? payloadTooLarge(limit) : null, chunk);
    },
  });
  source.on('error', (error) => counted.destroy(error));
  // What was read already goes first, counted when it was read.
  for (const chunk of head) counted.push(chunk);
  return { kind: 'stream', stream: source.pipe(counted) };
}

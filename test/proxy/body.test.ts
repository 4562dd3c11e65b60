import { Readable } from 'node:stream';
import { BrokerError } from '../../src/errors/index.js';
import { prepareBody, REPLAYABLE_BODY_BYTES } from '../../src/proxy/body.js';

/** A body that arrives in 16 KiB chunks, as a chunked request does. */
const chunked = (size: number) =>
  Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += 16 * 1024) {
        yield Buffer.alloc(Math.min(16 * 1024, size - sent), 1);
      }
    })(),
  );

describe('proxy request bodies', () => {
  it('a chunked body over a limit of at most 1 MiB is refused before any of it can be sent', async () => {
    const error = await prepareBody(chunked(64 * 1024 + 1), undefined, 64 * 1024).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('payload_too_large');
  });

  it('a chunked body within 1 MiB is kept whole (sendable again on a retry)', async () => {
    const body = await prepareBody(chunked(300 * 1024), undefined, 10 * 1024 * 1024);
    expect(body.kind === 'kept' && body.bytes.length).toBe(300 * 1024);
  });

  it('a larger chunked body streams, what was read first included, and fails past the limit', async () => {
    const limit = 2 * REPLAYABLE_BODY_BYTES;
    const within = await prepareBody(chunked(limit), undefined, limit);
    if (within.kind !== 'stream') throw new Error(`expected a stream, got ${within.kind}`);
    let length = 0;
    for await (const chunk of within.stream as AsyncIterable<Buffer>) length += chunk.length;
    expect(length).toBe(limit);
    const over = await prepareBody(chunked(limit + 1), undefined, limit);
    if (over.kind !== 'stream') throw new Error(`expected a stream, got ${over.kind}`);
    const read = async () => {
      for await (const _ of over.stream) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'payload_too_large' });
  });
});

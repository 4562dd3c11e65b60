/** Copies a Buffer into the plain ArrayBuffer-backed Uint8Array that Prisma's `Bytes` fields want. */
export const toBytes = (buf: Buffer): Uint8Array<ArrayBuffer> =>
  new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer);

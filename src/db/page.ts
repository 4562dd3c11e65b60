import { invalidRequest } from '../errors/index.js';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded, so
 * pages stay stable while rows are added.
 *
 * @example
 * const next = encodeCursor([row.createdAt.toISOString(), row.id]);
 * const [at, id] = decodeCursor(next, 2);
 */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** @throws BrokerError `invalid_request` when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === length && key.every((k) => typeof k === 'string')) {
      return key;
    }
  } catch {
    // falls through to the one error below
  }
  throw invalidRequest('cursor: invalid cursor');
}

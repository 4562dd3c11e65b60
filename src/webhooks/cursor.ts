import { invalidRequest } from '../errors/index.js';

/** One page of a list response. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * An opaque cursor for keyset paging on `(created_at, id)`.
 *
 * @example encodeCursor(row.createdAt, row.id) // 'eyJ0Ijo…'
 */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify({ t: at.getTime(), i: id })).toString('base64url');
}

/** @throws invalid_request when the cursor was not made by encodeCursor. */
export function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      value &&
      typeof value === 'object' &&
      'i' in value &&
      't' in value &&
      typeof value.t === 'number' &&
      typeof value.i === 'string'
    ) {
      return { at: new Date(value.t), id: value.i };
    }
  } catch {
    // falls through to the one error below
  }
  throw invalidRequest('cursor: not a cursor from this list');
}

import { z } from 'zod';
import { invalidRequest } from '../errors/index.js';

/**
 * The one pager of every list: opaque keyset cursors (the sort key of a page's last row,
 * base64url-encoded JSON), so pages stay stable while rows are added, and one answer to a
 * cursor this API did not make: 400 `invalid_request`.
 */

/** A page of rows and the cursor of the next page (null on the last one). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** The order of a list on its keyset. */
export type Order = 'asc' | 'desc';

/** The one answer to a cursor this API did not make. */
export const badCursor = () => invalidRequest('cursor: not a cursor returned by this API');

/**
 * @example
 * const next = encodeCursor([row.createdAt.toISOString(), row.id]);
 */
export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * @throws BrokerError `invalid_request` when the cursor was not made by encodeCursor.
 * @example
 * const [at, id] = decodeCursor(cursor, 2);
 */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === length && key.every((k) => typeof k === 'string')) {
      return key;
    }
  } catch {
    // falls through to the one error below
  }
  throw badCursor();
}

/**
 * One keyset page: asks `fetch` for one row more than `limit`, which tells whether another
 * page follows; the next cursor is the sort key of the page's last row.
 *
 * @example
 * const page = await keysetPage(50, (take) => prisma.provider.findMany({ take }), (p) => [p.key]);
 */
export async function keysetPage<T>(
  limit: number,
  fetch: (take: number) => Promise<T[]>,
  keyOf: (row: T) => string[],
): Promise<Page<T>> {
  const rows = await fetch(limit + 1);
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/** The sort key of lists ordered by `(created_at, id)`. */
export const createdAtKey = (row: { createdAt: Date; id: string }) => [
  row.createdAt.toISOString(),
  row.id,
];

/** The `orderBy` of lists ordered by `(created_at, id)`. */
export const createdAtOrder = (order: Order) => [{ createdAt: order }, { id: order }];

/**
 * The `where` fragment selecting the rows after a cursor of {@link createdAtKey} in `order`
 * (empty without a cursor).
 *
 * @throws BrokerError `invalid_request` for a cursor this API did not make.
 * @example
 * prisma.connection.findMany({ where: { ...createdAtAfter(cursor, 'desc') }, orderBy: createdAtOrder('desc') });
 */
export function createdAtAfter(cursor: string | undefined, order: Order) {
  if (cursor === undefined) return {};
  const [at = '', id = ''] = decodeCursor(cursor, 2);
  const createdAt = new Date(at);
  if (Number.isNaN(createdAt.getTime())) throw badCursor();
  const after = order === 'asc' ? { gt: createdAt } : { lt: createdAt };
  const idAfter = order === 'asc' ? { gt: id } : { lt: id };
  return { OR: [{ createdAt: after }, { createdAt, id: idAfter }] };
}

/**
 * The schema of a page of `item`, as {@link presentPage} answers it.
 *
 * @example const connectionPageSchema = pageSchema(connectionSchema);
 */
export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    next_cursor: z.string().nullable().describe('the cursor of the next page; null on the last'),
  });

/**
 * A page as every list answers it: `{ data, next_cursor }`.
 *
 * @example res.json(presentPage(page, presentConnection))
 */
export const presentPage = <T, U>(page: Page<T>, present: (row: T) => U) => ({
  data: page.data.map(present),
  next_cursor: page.nextCursor,
});

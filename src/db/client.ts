import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from '../generated/prisma/client.js';

export type { PrismaClient } from '../generated/prisma/client.js';

/** The broker's two handles on one Postgres pool: Prisma for CRUD, raw `pg` for locks and hot reads. */
export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /**
   * A small pool of its own for the transactions that wait on a provider (the refresh's
   * single-flight lock is held across its grant): a slow provider exhausts this one, never
   * the pool every other request uses (`DATABASE_PROVIDER_POOL_SIZE`).
   */
  providerCalls: PrismaClient;
  close(): Promise<void>;
}

/**
 * Opens one pool shared by Prisma (through `@prisma/adapter-pg`) and raw queries.
 *
 * @example
 * const db = createDatabase(config.databaseUrl);
 * await db.prisma.connection.findUnique({ where: { id } });
 */
export function createDatabase(
  url: string,
  options: { max?: number; providerCallsMax?: number } = {},
): Database {
  const open = (max: number) => {
    const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
    // A dropped connection (database restart) must not crash the process: idle ones report
    // on the pool, checked-out ones (between two queries of a transaction) on the client.
    // Either way the next query on it fails and is answered as the database being away.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    return { pool, prisma: new PrismaClient({ adapter: new PrismaPg(pool) }) };
  };
  const main = open(options.max ?? 10);
  const providerCalls = open(options.providerCallsMax ?? 4);
  let closed = false;
  return {
    prisma: main.prisma,
    pool: main.pool,
    providerCalls: providerCalls.prisma,
    async close() {
      if (closed) return;
      closed = true;
      for (const p of [main, providerCalls]) {
        await p.prisma.$disconnect();
        await p.pool.end();
      }
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/**
 * Postgres ending a connection that is checked out of the pool between two queries (a
 * restart, `pg_terminate_backend`, a failover) made the client emit 'error' with no
 * listener: an uncaught exception that took the whole process down. Raw checked-out
 * clients do this (the audit chain's append, the webhook queue, data keys); it must only
 * fail the work on that connection (found by test/faults/postgres-restart.test.ts).
 */
describe('a checked-out connection dropped by the database', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('fails the transaction waiting on it, and the process carries on', async () => {
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      const client = await db.pool.connect();
      await client.query('BEGIN');
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      // Waiting between queries, with no query of its own running.
      await sleep(300);
      await expect(client.query('SELECT 1')).rejects.toThrow();
      client.release(true);
      expect(uncaught).toEqual([]);
      // The pool opens a new connection in its place.
      expect((await db.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', record);
    }
  });
});

import type pg from 'pg';
import { z } from 'zod';
import { pendingMigrations } from './migrator.js';

/** `GET /healthz`: the process is alive. */
export const healthSchema = z.object({ status: z.literal('ok') });

const checksSchema = z.object({
  database: z.enum(['ok', 'unreachable']),
  migrations: z.enum(['ok', 'pending', 'unknown']),
});

/** `GET /readyz` when ready: the database is reachable and its schema current. */
export const readinessSchema = z.object({ status: z.literal('ready'), checks: checksSchema });

/** `GET /readyz` when not ready (503): the usual error body and what failed. */
export const notReadySchema = z.object({
  error: z.literal('upstream_unavailable'),
  error_description: z.string(),
  checks: checksSchema,
});

export type ReadinessChecks = z.output<typeof checksSchema>;

/**
 * Whether this replica can serve: the database answers and no migration is pending.
 *
 * @example const checks = await readinessChecks(pool); // { database: 'ok', migrations: 'ok' }
 */
export async function readinessChecks(pool: pg.Pool): Promise<ReadinessChecks> {
  try {
    await pool.query('SELECT 1');
    return {
      database: 'ok',
      migrations: (await pendingMigrations(pool)).length > 0 ? 'pending' : 'ok',
    };
  } catch {
    return { database: 'unreachable', migrations: 'unknown' };
  }
}

import type pg from 'pg';
import type { BackgroundJob } from '../interval-job.js';
import type { Clock } from '../clock.js';
import { intervalJob } from '../interval-job.js';
import type { Logger } from '../observability/logger.js';

/**
 * How long expired connect sessions (with their OAuth flows) and device sessions are kept:
 * a browser coming back late still gets "this link expired" rather than "unknown link",
 * and a service polling a finished device session still sees how it ended.
 */
export const EXPIRED_ROW_GRACE_MS = 24 * 60 * 60 * 1000;
/** How often each replica prunes (deletes are idempotent, so replicas need no coordination). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;
/** Rows deleted per statement, so that no delete holds its locks for long. */
const BATCH = 1_000;
/** Statements per table per run; what is left waits for the next run. */
const MAX_BATCHES = 50;

/**
 * Tables whose rows are useless some time after `expires_at` (oauth_flows go with their
 * connect session): key column and how long past expiry a row is kept.
 */
const EXPIRING_TABLES = {
  connect_sessions: { key: 'id', graceMs: EXPIRED_ROW_GRACE_MS },
  device_sessions: { key: 'id', graceMs: EXPIRED_ROW_GRACE_MS },
  // An expired console cookie is refused anyway: its sign-out record has done its job.
  console_sign_outs: { key: 'nonce', graceMs: 0 },
} as const;

export type PruneReport = Record<keyof typeof EXPIRING_TABLES, number>;

/**
 * Deletes, in batches, connect sessions (their OAuth flows cascade) and device sessions
 * that expired more than {@link EXPIRED_ROW_GRACE_MS} ago, and the sign-out records of
 * console sessions that have expired.
 *
 * @example
 * const { connect_sessions, device_sessions } = await pruneExpired({ pool, clock });
 */
export async function pruneExpired(deps: { pool: pg.Pool; clock: Clock }): Promise<PruneReport> {
  const report: PruneReport = { connect_sessions: 0, device_sessions: 0, console_sign_outs: 0 };
  for (const [table, { key, graceMs }] of Object.entries(EXPIRING_TABLES)) {
    const cutoff = new Date(deps.clock.now().getTime() - graceMs);
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const { rowCount } = await deps.pool.query(
        `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE expires_at < $1 LIMIT ${BATCH})`,
        [cutoff],
      );
      report[table as keyof PruneReport] += rowCount ?? 0;
      if ((rowCount ?? 0) < BATCH) break;
    }
  }
  return report;
}

/**
 * Runs {@link pruneExpired} every 10 minutes on this replica.
 *
 * @example
 * startBroker(config, logger, { jobs: (c) => [createHousekeepingJob({ pool: c.db.pool, clock: c.clock, logger: c.logger })] });
 */
export function createHousekeepingJob(
  deps: { pool: pg.Pool; clock: Clock; logger: Logger },
  options: { intervalMs?: number } = {},
): BackgroundJob {
  return intervalJob({
    what: 'housekeeping run',
    intervalMs: options.intervalMs ?? HOUSEKEEPING_INTERVAL_MS,
    logger: deps.logger,
    work: async () => {
      const pruned = await pruneExpired(deps);
      if (Object.values(pruned).some((n) => n > 0)) {
        deps.logger.info(pruned, 'expired rows pruned');
      }
    },
  });
}

import type pg from 'pg';
import type { BackgroundJob } from '../bootstrap.js';
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

/** Tables whose rows are useless once `expires_at` has passed (oauth_flows go with their session). */
const EXPIRING_TABLES = ['connect_sessions', 'device_sessions'] as const;

export type PruneReport = Record<(typeof EXPIRING_TABLES)[number], number>;

/**
 * Deletes connect sessions (their OAuth flows cascade) and device sessions that expired
 * more than {@link EXPIRED_ROW_GRACE_MS} ago, in batches.
 *
 * @example
 * const { connect_sessions, device_sessions } = await pruneExpired({ pool, clock });
 */
export async function pruneExpired(deps: { pool: pg.Pool; clock: Clock }): Promise<PruneReport> {
  const cutoff = new Date(deps.clock.now().getTime() - EXPIRED_ROW_GRACE_MS);
  const report: PruneReport = { connect_sessions: 0, device_sessions: 0 };
  for (const table of EXPIRING_TABLES) {
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const { rowCount } = await deps.pool.query(
        `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE expires_at < $1 LIMIT ${BATCH})`,
        [cutoff],
      );
      report[table] += rowCount ?? 0;
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
      if (pruned.connect_sessions + pruned.device_sessions > 0) {
        deps.logger.info(pruned, 'expired sessions pruned');
      }
    },
  });
}

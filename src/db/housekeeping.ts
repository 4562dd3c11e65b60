import type pg from 'pg';
import type { BackgroundJob } from '../interval-job.js';
import type { Clock } from '../clock.js';
import { intervalJob } from '../interval-job.js';
import type { Logger } from '../observability/logger.js';
import { pruneProviderWebhooks } from '../provider-webhooks/prune.js';

/**
 * How long expired connect sessions (with their OAuth flows) and device sessions are kept:
 * a browser coming back late still gets "this link expired" rather than "unknown link",
 * and a service polling a finished device session still sees how it ended.
 */
export const EXPIRED_ROW_GRACE_MS = 24 * 60 * 60 * 1000;
/** How often each replica prunes (deletes are idempotent, so replicas need no coordination). */
export const HOUSEKEEPING_INTERVAL_MS = 10 * 60 * 1000;
/** Rows deleted per statement, so that no delete holds its locks for long. */
export const BATCH = 1_000;
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
    report[table as keyof PruneReport] = await deleteInBatches(
      deps.pool,
      `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE expires_at < $1 LIMIT ${BATCH})`,
      [cutoff],
    );
  }
  return report;
}

/** Deletes up to {@link BATCH} rows a statement, at most {@link MAX_BATCHES} times; the rows deleted. */
export async function deleteInBatches(
  pool: pg.Pool,
  sql: string,
  values: unknown[],
): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const { rowCount } = await pool.query(sql, values);
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH) break;
  }
  return deleted;
}

/** A finished delivery (delivered or given up) last touched before the cutoff. */
const OLD_DELIVERIES = `DELETE FROM webhook_deliveries WHERE id IN (
  SELECT id FROM webhook_deliveries WHERE updated_at < $1 AND status <> 'pending' LIMIT ${BATCH})`;
/** A fanned-out event created before the cutoff with no delivery left (pending ones stay). */
const OLD_EVENTS = `DELETE FROM webhook_events WHERE id IN (
  SELECT e.id FROM webhook_events e
   WHERE e.created_at < $1 AND e.dispatched_at IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id)
   LIMIT ${BATCH})`;

/**
 * Deletes, in batches, webhook deliveries that finished and webhook events that were fanned
 * out more than `retentionDays` ago (`WEBHOOK_RETENTION_DAYS`). A delivery still pending
 * keeps its event, however old.
 *
 * @example
 * const { webhook_deliveries, webhook_events } = await pruneWebhookHistory({ pool, clock, retentionDays: 30 });
 */
export async function pruneWebhookHistory(deps: {
  pool: pg.Pool;
  clock: Clock;
  retentionDays: number;
}): Promise<{ webhook_deliveries: number; webhook_events: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * 24 * 3_600_000);
  const webhook_deliveries = await deleteInBatches(deps.pool, OLD_DELIVERIES, [cutoff]);
  const webhook_events = await deleteInBatches(deps.pool, OLD_EVENTS, [cutoff]);
  return { webhook_deliveries, webhook_events };
}

/**
 * Runs {@link pruneExpired}, {@link pruneWebhookHistory}, the provider webhook dedupe
 * window and the discarding of uncompleted app-handshake grants every 10 minutes on this
 * replica.
 *
 * @example
 * startBroker(config, logger, { jobs: (c) => [createHousekeepingJob({ pool: c.db.pool, clock: c.clock, logger: c.logger, webhookRetentionDays: 30 })] });
 */
export function createHousekeepingJob(
  deps: {
    pool: pg.Pool;
    clock: Clock;
    logger: Logger;
    webhookRetentionDays: number;
    /** Erases (and revokes upstream) grants whose app handshake never completed; how many. */
    discardExpiredGrants?: () => Promise<number>;
  },
  options: { intervalMs?: number } = {},
): BackgroundJob {
  return intervalJob({
    what: 'housekeeping run',
    intervalMs: options.intervalMs ?? HOUSEKEEPING_INTERVAL_MS,
    logger: deps.logger,
    work: async () => {
      const pruned = {
        ...(await pruneExpired(deps)),
        ...(await pruneWebhookHistory({ ...deps, retentionDays: deps.webhookRetentionDays })),
        ...(await pruneProviderWebhooks({ ...deps, retentionDays: deps.webhookRetentionDays })),
        uncompleted_grants: (await deps.discardExpiredGrants?.()) ?? 0,
      };
      if (Object.values(pruned).some((n) => n > 0)) {
        deps.logger.info(pruned, 'expired rows pruned');
      }
    },
  });
}

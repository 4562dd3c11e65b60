import type pg from 'pg';
import type { Clock } from '../clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per statement and statements per run, so no delete holds its locks for long. */
const BATCH = 1_000;
const MAX_BATCHES = 50;

export interface ProviderWebhookPruneReport {
  /** provider.webhook events whose encrypted payload was erased. */
  payloads: number;
  /** Dedupe records forgotten. */
  receipts: number;
}

async function inBatches(pool: pg.Pool, sql: string, cutoff: Date): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const { rowCount } = await pool.query(sql, [cutoff, BATCH]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH) break;
  }
  return total;
}

/**
 * After the retention period, erases provider.webhook payloads (they often hold personal
 * data; the event's envelope stays for the delivery log) and forgets the delivery ids
 * received before it (the dedupe window: at least 7 days, enforced by the config).
 *
 * @example await pruneProviderWebhooks({ pool, clock, retentionDays: 30 })
 */
export async function pruneProviderWebhooks(deps: {
  pool: pg.Pool;
  clock: Clock;
  retentionDays: number;
}): Promise<ProviderWebhookPruneReport> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.retentionDays * DAY_MS);
  const payloads = await inBatches(
    deps.pool,
    `UPDATE webhook_events SET sealed_payload = NULL, key_id = NULL
     WHERE id IN (SELECT id FROM webhook_events
                  WHERE sealed_payload IS NOT NULL AND created_at < $1 LIMIT $2)`,
    cutoff,
  );
  const receipts = await inBatches(
    deps.pool,
    `DELETE FROM provider_webhook_receipts WHERE (provider_key, delivery_id) IN
       (SELECT provider_key, delivery_id FROM provider_webhook_receipts WHERE received_at < $1 LIMIT $2)`,
    cutoff,
  );
  return { payloads, receipts };
}

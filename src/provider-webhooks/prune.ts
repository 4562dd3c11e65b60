import type pg from 'pg';
import type { Clock } from '../clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A provider retries for up to days (GitHub 3, Shopify 2): its delivery ids are remembered at least this long. */
export const MIN_DEDUPE_DAYS = 7;
/** Rows per statement and statements per run, so no delete holds its locks for long. */
const BATCH = 1_000;
const MAX_BATCHES = 50;

/**
 * Forgets received provider delivery ids older than the dedupe window: the webhook
 * retention period (`WEBHOOK_RETENTION_DAYS`), at least {@link MIN_DEDUPE_DAYS}. The
 * provider.webhook events themselves, payload included, go with the webhook history
 * (`pruneWebhookHistory`).
 *
 * @example await pruneProviderWebhooks({ pool, clock, retentionDays: 30 }) // { provider_webhook_receipts: 0 }
 */
export async function pruneProviderWebhooks(deps: {
  pool: pg.Pool;
  clock: Clock;
  retentionDays: number;
}): Promise<{ provider_webhook_receipts: number }> {
  const days = Math.max(deps.retentionDays, MIN_DEDUPE_DAYS);
  const cutoff = new Date(deps.clock.now().getTime() - days * DAY_MS);
  let deleted = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const { rowCount } = await deps.pool.query(
      `DELETE FROM provider_webhook_receipts WHERE (provider_key, delivery_id) IN
         (SELECT provider_key, delivery_id FROM provider_webhook_receipts WHERE received_at < $1 LIMIT $2)`,
      [cutoff, BATCH],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH) break;
  }
  return { provider_webhook_receipts: deleted };
}

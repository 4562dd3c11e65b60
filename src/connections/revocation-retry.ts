import type { BackgroundJob } from '../interval-job.js';
import { intervalJob } from '../interval-job.js';
import type { RevokeDeps } from './revoke.js';
import {
  IN_FLIGHT_GRACE_MS,
  openPendingRevocation,
  revokeAtProvider,
} from './upstream-revocation.js';
import { settleOwedRevocation } from './owed-revocations.js';

/** Connections looked at per run; the rest wait for the next run. */
const BATCH = 50;
/** How often each replica looks for due retries. */
export const REVOCATION_RETRY_INTERVAL_MS = 30_000;

export interface RetryReport {
  succeeded: number;
  failed: number;
}

/**
 * Retries the upstream revocations that failed at revoke time (or were cut short) and are
 * due, each claimed under a row lock (`SKIP LOCKED`, so replicas share the work). Success clears
 * `pending_revocation`; failure keeps what is still owed and backs off (30 s doubling to
 * 6 h). One failing connection never stops the run.
 *
 * @example
 * const { succeeded, failed } = await retryPendingRevocations(container);
 */
export async function retryPendingRevocations(c: RevokeDeps): Promise<RetryReport> {
  const due = await c.db.prisma.connection.findMany({
    where: { pendingRevocation: { not: null }, revocationRetryAt: { lte: c.clock.now() } },
    select: { id: true },
    orderBy: { revocationRetryAt: 'asc' },
    take: BATCH,
  });
  const report: RetryReport = { succeeded: 0, failed: 0 };
  for (const { id } of due) {
    try {
      const outcome = await retryOne(c, id);
      if (outcome === 'succeeded' || outcome === 'not_supported') report.succeeded++;
      if (outcome === 'failed') report.failed++;
    } catch (error) {
      report.failed++;
      c.logger.error(
        { connection_id: id, err: (error as Error).message },
        'upstream revocation retry failed',
      );
    }
  }
  return report;
}

/**
 * Claims one due retry in a short transaction (pushing its due time past the provider
 * calls, so no other replica takes it meanwhile), then calls the provider outside any
 * transaction and records the outcome.
 */
async function retryOne(c: RevokeDeps, id: string) {
  const claimed = await c.db.prisma.$transaction(
    async (tx) => {
      const now = c.clock.now();
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM connections WHERE id = ${id} AND pending_revocation IS NOT NULL
          AND revocation_retry_at <= ${now} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return undefined;
      const row = await tx.connection.findUniqueOrThrow({ where: { id } });
      if (!row.pendingRevocation || !row.pendingRevocationKeyId) return undefined;
      const owed = openPendingRevocation(c, id, row.pendingRevocation, row.pendingRevocationKeyId);
      await tx.connection.update({
        where: { id },
        data: { revocationRetryAt: new Date(now.getTime() + IN_FLIGHT_GRACE_MS) },
      });
      return { providerKey: row.providerKey, attempts: row.revocationAttempts + 1, owed };
    },
    { timeout: 10_000, maxWait: 5_000 },
  );
  if (!claimed) return undefined;
  const upstream = await revokeAtProvider(c, claimed.providerKey, claimed.owed);
  await settleOwedRevocation({ ...c, prisma: c.db.prisma }, id, {
    tried: claimed.owed,
    remaining: upstream.remaining,
    attempts: claimed.attempts,
    outcome: upstream.outcome,
  });
  const done = { providerKey: claimed.providerKey, attempts: claimed.attempts, ...upstream };
  c.audit.record({
    actorType: 'system',
    actorId: 'revocation-retry',
    action: 'connection.revoke_upstream',
    connectionId: id,
    providerKey: done.providerKey,
    outcome: done.outcome === 'failed' ? (done.errorClass ?? 'failed') : 'success',
    detail: { upstream_revocation: done.outcome, attempts: done.attempts },
  });
  return done.outcome;
}

/**
 * Runs {@link retryPendingRevocations} every 30 s on this replica.
 *
 * @example
 * startBroker(config, logger, { jobs: (c) => [createRevocationRetryJob(c)] });
 */
export function createRevocationRetryJob(
  c: RevokeDeps,
  options: { intervalMs?: number } = {},
): BackgroundJob {
  return intervalJob({
    what: 'revocation retry run',
    intervalMs: options.intervalMs ?? REVOCATION_RETRY_INTERVAL_MS,
    logger: c.logger,
    work: async () => {
      const r = await retryPendingRevocations(c);
      if (r.succeeded + r.failed > 0) c.logger.info(r, 'upstream revocation retries');
    },
  });
}

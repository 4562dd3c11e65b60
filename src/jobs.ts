import type { BackgroundJob } from './interval-job.js';
import type { Container } from './container.js';
import { createRevocationRetryJob } from './connections/revocation-retry.js';
import { discardExpiredGrants } from './connect/handshake.js';
import { owedTokens, revokeAtProvider } from './connections/upstream-revocation.js';
import { createHousekeepingJob, HOUSEKEEPING_INTERVAL_MS } from './db/housekeeping.js';
import { intervalJob } from './interval-job.js';
import { pruneRateLimits } from './proxy/rate-limits.js';
import { createRefreshJob } from './refresh/job.js';
import { createDevicePollJob } from './device/poll-job.js';
import { createWebhookWorker } from './webhooks/worker.js';

/**
 * The background jobs every replica runs by default; `main.ts` hands this to
 * `startBroker`, tests pass their own.
 *
 * @example
 * await startBroker(config, logger, { jobs: defaultJobs });
 */
export function defaultJobs(c: Container): BackgroundJob[] {
  return [
    createWebhookWorker(c),
    createRevocationRetryJob(c),
    createDevicePollJob(c),
    createRefreshJob(c),
    createHousekeepingJob({
      pool: c.db.pool,
      clock: c.clock,
      logger: c.logger,
      webhookRetentionDays: c.config.webhookRetentionDays,
      discardExpiredGrants: () => discardUncompletedGrants(c),
    }),
    createRateLimitPruneJob(c),
  ];
}

/** Prunes the proxy's rate-limit memory of blocks long over, with the housekeeping's cadence. */
export const createRateLimitPruneJob = (c: Container): BackgroundJob =>
  intervalJob({
    what: 'proxy rate-limit pruning',
    intervalMs: HOUSEKEEPING_INTERVAL_MS,
    logger: c.logger,
    work: async () => {
      const pruned = await pruneRateLimits({ pool: c.db.pool, clock: c.clock });
      if (pruned > 0) c.logger.info({ proxy_rate_limits: pruned }, 'expired rows pruned');
    },
  });

/** Erases the expired grants of app handshakes never completed, revoking them upstream. */
export const discardUncompletedGrants = (c: Container): Promise<number> =>
  discardExpiredGrants({
    prisma: c.db.prisma,
    keyring: c.keyring,
    clock: c.clock,
    logger: c.logger,
    revoke: async (providerKey, tokens) => {
      await revokeAtProvider(c, providerKey, owedTokens(tokens));
    },
  });

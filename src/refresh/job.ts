import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { BackgroundJob } from '../interval-job.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { exec, type SweepDeps, type SweepOptions } from './sweep.js';

/** A claim outlives any one refresh (provider timeout and retries) with a wide margin. */
const LEASE_MS = 120_000;
/** A sweep stops claiming after this long; the next tick carries on with the rest. */
const BUDGET_MS = 60_000;
/** Claims per batch, per slot of concurrency: claimed work starts soon, leases stay short. */
const CLAIMS_PER_SLOT = 1;

/** node-cron's own messages (e.g. a tick skipped while a sweep still runs) at debug level. */
const cronLogger = (log: Logger) => ({
  info: (message: string) => log.debug(message),
  warn: (message: string) => log.debug(message),
  error: (message: string | Error) => log.error({ err: String(message) }, 'node-cron error'),
  debug: (message: string | Error) => log.debug(String(message)),
});

/** Sweep options from the configuration, for a replica identified by `owner`. */
export function defaultSweepOptions(config: Config, owner: string): SweepOptions {
  return {
    owner,
    concurrency: config.refreshConcurrency,
    providerConcurrency: config.refreshProviderConcurrency,
    leaseMs: LEASE_MS,
    budgetMs: BUDGET_MS,
    batchSize: config.refreshConcurrency * CLAIMS_PER_SLOT,
  };
}

/**
 * The background refresher: a sweep ({@link exec}) on `REFRESH_CRON` (seconds allowed;
 * `off` disables it), never overlapping itself. `stop()` stops claiming, gives back
 * claims not yet started and waits for the refreshes in flight.
 *
 * @example
 * startBroker(config, logger, { jobs: (c) => [createRefreshJob(c, { leaseMs: 5_000 })] });
 */
export function createRefreshJob(
  c: SweepDeps,
  overrides: Partial<Omit<SweepOptions, 'signal'>> & { cron?: string } = {},
): BackgroundJob {
  const expression = overrides.cron ?? c.config.refreshCron;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const options = { ...defaultSweepOptions(c.config, owner), ...overrides };
  const abort = new AbortController();
  const log = c.logger.child({ job: 'refresher' });
  let task: ScheduledTask | undefined;
  let running: Promise<void> | undefined;

  const sweep = () =>
    (running ??= exec(c, { ...options, signal: abort.signal })
      .then((report) => {
        if (report.claimed > 0) log.info(report, 'refresher sweep');
      })
      .catch((error: unknown) =>
        log.error({ err: (error as Error).message }, 'refresher sweep failed'),
      )
      .finally(() => {
        running = undefined;
      }));

  return {
    start() {
      if (expression === 'off') return;
      task = cron.createTask(expression, sweep, {
        name: 'refresher',
        noOverlap: true,
        logger: cronLogger(log),
      });
      void task.start();
    },
    async stop() {
      abort.abort();
      await task?.destroy();
      await running;
    },
  };
}

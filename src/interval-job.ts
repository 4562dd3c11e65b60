import type { Logger } from './observability/logger.js';

/** A job that runs beside the HTTP server on every replica (refresher, webhook worker…). */
export interface BackgroundJob {
  start(): void;
  stop(): Promise<void>;
}

/**
 * A background job running `work` every `intervalMs` on this replica, never two runs at
 * once; a failed run is logged as "`what` failed" and the next one runs as usual.
 * `stop()` waits for a run in progress.
 *
 * @example
 * intervalJob({ what: 'device poll run', intervalMs: 2_000, logger, work: () => poll() });
 */
export function intervalJob(opts: {
  what: string;
  intervalMs: number;
  logger: Logger;
  work: () => Promise<unknown>;
}): BackgroundJob {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= opts
      .work()
      .then(() => undefined)
      .catch((error: unknown) =>
        opts.logger.error({ err: (error as Error).message }, `${opts.what} failed`),
      )
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      timer = setInterval(run, opts.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

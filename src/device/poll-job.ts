import type { BackgroundJob } from '../interval-job.js';
import { intervalJob } from '../interval-job.js';
import type { Logger } from '../observability/logger.js';
import type { DeviceSessions } from './device-sessions.js';

/** How often each replica looks for device sessions due for a poll. */
export const DEVICE_POLL_INTERVAL_MS = 2_000;
/** Sessions polled per run; the rest wait for the next run. */
const BATCH = 50;

/**
 * Polls every due device session once; one failing session never stops the run.
 *
 * @example
 * const polled = await pollDueDeviceSessions(c.deviceSessions, c.logger);
 */
export async function pollDueDeviceSessions(
  device: DeviceSessions,
  logger: Logger,
): Promise<number> {
  const ids = await device.due(BATCH);
  for (const id of ids) {
    try {
      await device.poll(id);
    } catch (error) {
      logger.error({ device_session: id, err: (error as Error).message }, 'device poll failed');
    }
  }
  return ids.length;
}

/**
 * Runs {@link pollDueDeviceSessions} every 2 s on this replica, so a device
 * authorization completes (and `connection.created` is sent) even when the service
 * never asks again.
 */
export function createDevicePollJob(
  c: { deviceSessions: DeviceSessions; logger: Logger },
  options: { intervalMs?: number } = {},
): BackgroundJob {
  return intervalJob({
    what: 'device poll run',
    intervalMs: options.intervalMs ?? DEVICE_POLL_INTERVAL_MS,
    logger: c.logger,
    work: () => pollDueDeviceSessions(c.deviceSessions, c.logger),
  });
}

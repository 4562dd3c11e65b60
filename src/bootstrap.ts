import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from './clock.js';
import type { Config, ResolvedConfig } from './config/index.js';
import { resolveConfig, type AdminTokenSource } from './config/resolve.js';
import { createContainer, type Container } from './container.js';
import { createDatabase } from './db/client.js';
import { migrate } from './db/migrator.js';
import type { BackgroundJob } from './interval-job.js';
import { createApp } from './http/app.js';
import { createFastPath } from './http/fast-path.js';
import { flushRequestSummaries } from './http/middleware/observe.js';
import { createProxyRoute } from './http/proxy-route.js';
import { answerClientError } from './http/middleware/errors.js';
import { observePool } from './observability/db-metrics.js';
import type { Logger } from './observability/logger.js';
import { loadTemplatesFile } from './providers/templates/file.js';
import { openKeyring } from './vault/open.js';

export interface RunningBroker {
  url: string;
  server: Server;
  container: Container;
  /** Where the admin API token came from (the start-up guide says so). */
  adminTokenSource: AdminTokenSource;
  /** Graceful stop: no new connections, in-flight requests finish, jobs stop, pools close. */
  stop(): Promise<void>;
}

/**
 * Starts a broker: resolves configuration, migrates, serves HTTP and runs background jobs.
 *
 * @example
 * const broker = await startBroker(loadConfig(process.env), logger);
 * process.once('SIGTERM', () => void broker.stop());
 */
export async function startBroker(
  raw: Config,
  logger: Logger,
  options: { clock?: Clock; jobs?: (c: Container) => BackgroundJob[] } = {},
): Promise<RunningBroker> {
  if (raw.providerTemplatesFile) await loadTemplatesFile(raw.providerTemplatesFile);
  const { config: resolved, embedded, adminToken } = await resolveConfig(raw, logger);
  const db = createDatabase(resolved.databaseUrl, {
    max: resolved.databasePoolSize,
    providerCallsMax: resolved.databaseProviderPoolSize,
  });
  observePool(db.pool);
  let keyring;
  try {
    const { applied } = await migrate(db.pool);
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    keyring = await openKeyring(resolved, db.pool, logger);
  } catch (error) {
    await db.close();
    await embedded?.stop();
    throw error;
  }
  const server = createServer();
  server.on('clientError', answerClientError);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(resolved.port, ok);
  });
  const port = (server.address() as AddressInfo).port;
  const config: ResolvedConfig = {
    ...resolved,
    publicUrl: raw.publicUrl ?? `http://localhost:${port}`,
  };
  const container = createContainer({
    config,
    db,
    logger,
    clock: options.clock ?? systemClock,
    keyring,
  });
  // The proxy and the token read are answered before Express (src/http/proxy-route.ts,
  // fast-path.ts); all else is Express's.
  server.on(
    'request',
    createProxyRoute(container, createFastPath(container, createApp(container))),
  );
  container.changes.start();
  const jobs = options.jobs?.(container) ?? [];
  for (const job of jobs) job.start();
  logger.info({ url: config.publicUrl, port }, 'token broker listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      await Promise.all(jobs.map((j) => j.stop()));
      await closed;
      await container.proxy.close();
      await container.changes.stop();
      await container.audit.stop();
      await container.services.keys.stop();
      await keyring.close();
      flushRequestSummaries(logger);
      await db.close();
      await embedded?.stop();
      logger.info('token broker stopped');
    })());
  return { url: `http://127.0.0.1:${port}`, server, container, adminTokenSource: adminToken, stop };
}

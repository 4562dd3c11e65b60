import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { startBroker, type RunningBroker } from '../../src/bootstrap.js';
import { type BackgroundJob } from '../../src/interval-job.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/index.js';
import type { Container } from '../../src/container.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** Captures every log line a broker writes, for assertions (e.g. no secret leaked). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text() {
    return this.lines.join('\n');
  }
}

export const testEncryptionKey = () =>
  `test-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;

export interface TestBroker extends RunningBroker {
  db: TestDatabase;
  logs: LogCapture;
  adminToken: string;
  /** Stops the broker and drops its database. */
  close(): Promise<void>;
}

/**
 * A real broker on 127.0.0.1 (port 0) over its own fresh database.
 *
 * @example
 * const broker = await startTestBroker();
 * await request(broker.url).get('/healthz').expect(200);
 */
export async function startTestBroker(
  options: {
    env?: Record<string, string>;
    db?: TestDatabase;
    clock?: Clock;
    jobs?: (c: Container) => BackgroundJob[];
  } = {},
): Promise<TestBroker> {
  const db = options.db ?? (await createTestDatabase());
  const adminToken = `tba_${randomBytes(24).toString('base64url')}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: db.url,
    TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
    ADMIN_API_TOKEN: adminToken,
    REFRESH_CRON: 'off',
    // Suites hammer deliberate 401s; the rate-limit suite sets its own limits.
    RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    // Suites force refreshes back to back; test/tokens/forced-refresh.test.ts sets its own.
    FORCED_REFRESH_INTERVAL_SECONDS: '0',
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const logs = new LogCapture();
  const broker = await startBroker(
    config,
    createLogger({ level: config.logLevel, destination: logs }),
    {
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.jobs ? { jobs: options.jobs } : {}),
    },
  );
  return {
    ...broker,
    db,
    logs,
    adminToken,
    async close() {
      await broker.stop();
      if (!options.db) await db.drop();
    },
  };
}

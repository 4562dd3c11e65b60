import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { startChildBroker } from '../support/child-broker.js';

describe('the broker on its embedded Postgres', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tb-embedded-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('stops gracefully on SIGTERM: its own stop runs to the end, then Postgres goes', async () => {
    const broker = await startChildBroker(
      // No DATABASE_URL and no secrets: the quick-start configuration.
      {
        DATABASE_URL: undefined,
        TOKEN_ENCRYPTION_KEYS: undefined,
        ADMIN_API_TOKEN: undefined,
        DATA_DIR: dataDir,
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
      },
      { timeoutMs: 60_000 },
    );
    expect((await fetch(`${broker.url}/readyz`)).status).toBe(200);
    await broker.stop();

    const log = broker.output.join('\n');
    expect(broker.process.exitCode).toBe(0);
    expect(log).toContain('"msg":"token broker stopped"');
    // Postgres was not stopped under the broker (its connections were closed first).
    expect(log).not.toContain('change feed lost');
    expect(log).not.toContain('terminating connection due to administrator command');
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, 90_000);

  it("starting it adds no signal handler: the broker's own SIGTERM handler runs the stop", async () => {
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    const before = signals.map((s) => process.listeners(s));
    const db = await startEmbeddedPostgres(join(dataDir, 'direct'));
    try {
      expect(signals.map((s) => process.listeners(s))).toEqual(before);
    } finally {
      await db.stop();
    }
  }, 60_000);
});

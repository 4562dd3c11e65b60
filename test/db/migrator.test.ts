import pg from 'pg';
import { pendingMigrations, readMigrations } from '../../src/db/migrator.js';
import { runCli } from '../support/cli.js';
import { createEmptyDatabase } from '../support/db.js';

/** Runs `token-broker migrate` in a child process against `url`. */
async function migrateInChild(url: string): Promise<{ code: number | null; out: string }> {
  const run = await runCli(
    {
      DATABASE_URL: url,
      TOKEN_ENCRYPTION_KEYS: `k:${Buffer.alloc(32).toString('base64')}`,
      ADMIN_API_TOKEN: 'x'.repeat(32),
    },
    '--json',
    'migrate',
  );
  return { code: run.code, out: run.stdout + run.stderr };
}

describe('migrator', () => {
  it('two processes migrating one fresh database at once apply each migration once', async () => {
    const empty = await createEmptyDatabase();
    try {
      const [a, b] = await Promise.all([migrateInChild(empty.url), migrateInChild(empty.url)]);
      expect([a.code, b.code]).toEqual([0, 0]);
      const applied = [a, b].flatMap((r) => (JSON.parse(r.out) as { applied: string[] }).applied);
      const files = await readMigrations();
      expect(applied.sort()).toEqual(files.map((m) => m.name).sort());

      const pool = new pg.Pool({ connectionString: empty.url });
      const { rows } = await pool.query<{
        migration_name: string;
        checksum: string;
        finished_at: Date | null;
        applied_steps_count: number;
      }>(
        'SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual(
        files.map((m) => [m.name, m.checksum]),
      );
      expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
      expect(await pendingMigrations(pool)).toEqual([]);
      await pool.end();
    } finally {
      await empty.drop();
    }
  });

  it('refuses a migration edited after it was applied', async () => {
    const empty = await createEmptyDatabase();
    const pool = new pg.Pool({ connectionString: empty.url });
    try {
      expect((await migrateInChild(empty.url)).code).toBe(0);
      await pool.query(`UPDATE "_prisma_migrations" SET checksum = repeat('0', 64)`);
      const second = await migrateInChild(empty.url);
      expect(second.code).toBe(1);
      expect(second.out).toMatch(/was edited after it was applied/);
    } finally {
      await pool.end();
      await empty.drop();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/**
 * A database of the bench's own, `<prefix>_<random>`, on DATABASE_URL's server, else on an
 * embedded Postgres under `.data/bench/`; `drop()` removes it (and stops the embedded one).
 */
export async function benchDatabase(
  prefix: string,
): Promise<{ url: string; server: string; drop(): Promise<void> }> {
  const embedded =
    process.env.DATABASE_URL === undefined
      ? await startEmbeddedPostgres(join(root, '.data', 'bench', 'postgres'))
      : undefined;
  const server = process.env.DATABASE_URL ?? embedded!.url;
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    server,
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await embedded?.stop();
    },
  };
}

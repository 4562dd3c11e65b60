// Jest loads global setup outside its transform, so the TypeScript helper comes in through tsx.
import { tsImport } from 'tsx/esm/api';

/**
 * Tests run against the server in DATABASE_URL when it is set (CI: the machine's
 * Postgres), otherwise against an embedded Postgres started here once per run. Each
 * test file then creates its own database on that server (test/support/db.ts).
 */
export default async function globalSetup() {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_SERVER_URL = process.env.DATABASE_URL;
    return;
  }
  const { startEmbeddedPostgres } = await tsImport('../../src/db/embedded.ts', import.meta.url);
  const embedded = await startEmbeddedPostgres('.data/test/postgres');
  globalThis.__EMBEDDED_PG__ = embedded;
  process.env.TEST_DATABASE_SERVER_URL = embedded.url;
}

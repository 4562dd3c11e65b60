import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { checkClockSkew, discoveryUrls } from '../../src/cli/doctor-checks.js';
import { formatReport, runDoctor, type DoctorReport } from '../../src/cli/doctor.js';
import { loadConfig } from '../../src/config/index.js';
import { readMigrations } from '../../src/db/migrator.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { Keyring } from '../../src/vault/keyring.js';
import { testEncryptionKey } from '../support/broker.js';
import { createEmptyDatabase, createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const TIMEOUT = { timeoutMs: 2000 };
const ADMIN = 'a'.repeat(32);
const byName = (report: DoctorReport, name: string) => report.checks.find((c) => c.name === name);

/** A TCP port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Runs the real CLI (`token-broker doctor`) and returns its exit code and output. */
function cli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: PROJECT_ROOT,
      env: { PATH: process.env.PATH, NODE_ENV: 'test', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('token-broker doctor', () => {
  let db: TestDatabase;
  let upstream: Upstream;
  const key = testEncryptionKey();
  const keyring = new Keyring(loadConfig({ TOKEN_ENCRYPTION_KEYS: key }).encryptionKeys!);
  const env = () => ({
    DATABASE_URL: db.url,
    TOKEN_ENCRYPTION_KEYS: key,
    ADMIN_API_TOKEN: ADMIN,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await startUpstream({ clients: [{ client_id: 'broker', client_secret: 's' }] });
    const provider = await buildProvider(db.prisma, keyring, upstream, { key: 'idp' });
    await buildConnection(db.prisma, keyring, {
      providerKey: provider.key,
      accessToken: 'at',
      refreshToken: 'rt',
      expiresAt: new Date(Date.now() + 3600_000),
    });
  });
  afterAll(async () => {
    await upstream.close();
    await db.drop();
  });

  it('passes every check on a healthy installation', async () => {
    const report = await runDoctor(env(), TIMEOUT);
    expect(report.checks.map((c) => [c.name, c.status])).toStrictEqual([
      ['configuration', 'ok'],
      ['database', 'ok'],
      ['migrations', 'ok'],
      ['clock skew', 'ok'],
      ['encryption keys', 'ok'],
      ['provider idp', 'ok'],
    ]);
    expect(report.ok).toBe(true);
    expect(formatReport(report)).toMatch(/all good\.$/);
  });

  it('exits 0 from the CLI when healthy, and prints JSON with --json', async () => {
    const { code, stdout } = await cli(['doctor', '--json'], env());
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as DoctorReport).ok).toBe(true);
  }, 30_000);

  it('exits non-zero from the CLI with a clear message when the database is unreachable', async () => {
    const port = await closedPort();
    const { code, stdout } = await cli(['doctor'], {
      ...env(),
      DATABASE_URL: `postgresql://broker:hunter2@127.0.0.1:${port}/broker`,
    });
    expect(code).toBe(1);
    expect(stdout).toContain(`FAIL  database`);
    expect(stdout).toContain(`cannot reach 127.0.0.1:${port}/broker`);
    expect(stdout).toContain('fix: check DATABASE_URL');
    expect(stdout).toMatch(/skip +migrations +skipped: database unreachable/);
    expect(stdout).not.toContain('hunter2');
  }, 30_000);

  it('names the variable of an invalid configuration', async () => {
    const report = await runDoctor({ ...env(), REFRESH_CONCURRENCY: 'many' }, TIMEOUT);
    expect(report.ok).toBe(false);
    expect(byName(report, 'configuration')).toStrictEqual({
      name: 'configuration',
      status: 'fail',
      detail: 'REFRESH_CONCURRENCY must be a whole number (got "many")',
      fix: "set REFRESH_CONCURRENCY as the README's configuration table describes",
    });
    expect(byName(report, 'database')?.status).toBe('skip');
  });

  it('fails when rows are encrypted under a key that is no longer configured', async () => {
    const report = await runDoctor(
      { ...env(), TOKEN_ENCRYPTION_KEYS: testEncryptionKey() },
      TIMEOUT,
    );
    const keys = byName(report, 'encryption keys');
    expect(keys?.status).toBe('fail');
    expect(keys?.detail).toContain(`"${keyring.currentKid}" (token_sets, providers)`);
    expect(keys?.fix).toContain('add those keys back to TOKEN_ENCRYPTION_KEYS');
    expect(report.ok).toBe(false);
  });

  it('fails when a key id is configured with different key material', async () => {
    const kid = keyring.currentKid;
    const other = `${kid}:${Buffer.alloc(32, 3).toString('base64')}`;
    const report = await runDoctor({ ...env(), TOKEN_ENCRYPTION_KEYS: other }, TIMEOUT);
    expect(byName(report, 'encryption keys')?.detail).toContain(`${kid} (token_sets.access_token)`);
  });

  it('warns while rows remain under an older key after a new one was put first', async () => {
    const report = await runDoctor(
      { ...env(), TOKEN_ENCRYPTION_KEYS: `${testEncryptionKey()},${key}` },
      TIMEOUT,
    );
    expect(byName(report, 'encryption keys')).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('token-broker keys rotate'),
    });
    expect(report.ok).toBe(true);
  });

  it('fails a provider whose issuer does not answer discovery', async () => {
    const port = await closedPort();
    await db.pool.query(`UPDATE providers SET issuer = $1 WHERE key = 'idp'`, [
      `http://127.0.0.1:${port}/realms/x`,
    ]);
    try {
      const report = await runDoctor(env(), TIMEOUT);
      expect(byName(report, 'provider idp')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining(`127.0.0.1:${port}`),
        fix: expect.stringContaining(`reach 127.0.0.1:${port}`),
      });
      expect(report.ok).toBe(false);
    } finally {
      await db.pool.query(`UPDATE providers SET issuer = $1 WHERE key = 'idp'`, [upstream.issuer]);
    }
  });

  it('fails with the migration to run when the schema is not current', async () => {
    const empty = await createEmptyDatabase();
    try {
      const report = await runDoctor({ ...env(), DATABASE_URL: empty.url }, TIMEOUT);
      const names = (await readMigrations()).map((m) => m.name);
      expect(byName(report, 'migrations')).toMatchObject({
        status: 'fail',
        detail: `${names.length} pending: ${names.join(', ')}`,
        fix: expect.stringContaining('token-broker migrate'),
      });
      expect(byName(report, 'encryption keys')?.status).toBe('skip');
    } finally {
      await empty.drop();
    }
  });

  it('reports clock skew against the database', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      expect((await checkClockSkew(pool, () => Date.now() - 5_000)).status).toBe('warn');
      const far = await checkClockSkew(pool, () => Date.now() + 60_000);
      expect(far.status).toBe('fail');
      expect(far.detail).toMatch(/^-60\.\d s \(database behind\)$/);
    } finally {
      await pool.end();
    }
  });

  it('looks for discovery where OIDC and RFC 8414 put it', () => {
    expect(discoveryUrls('https://idp.example.com/realms/acme/')).toStrictEqual([
      'https://idp.example.com/realms/acme/.well-known/openid-configuration',
      'https://idp.example.com/.well-known/oauth-authorization-server/realms/acme',
    ]);
  });
});

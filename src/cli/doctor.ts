import { Command } from 'commander';
import pg from 'pg';
import { resolveConfig } from '../config/resolve.js';
import { ConfigError, loadConfig, type ResolvedConfig } from '../config/index.js';
import type { EmbeddedDatabase } from '../db/embedded.js';
import { createLogger } from '../observability/logger.js';
import {
  checkClockSkew,
  checkDatabase,
  checkEncryptionKeys,
  checkMigrations,
  checkProviderDiscovery,
  type CheckResult,
} from './doctor-checks.js';

/** What `token-broker doctor` found; `ok` is false when any check failed. */
export interface DoctorReport {
  ok: boolean;
  checks: CheckResult[];
}

const LOOPBACK = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:|\/|$)/;

function checkConfiguration(config: ResolvedConfig): CheckResult {
  const detail = `${config.nodeEnv}; PUBLIC_URL ${config.publicUrl}; ${config.encryptionKeys.length} encryption key(s)`;
  if (config.nodeEnv === 'production' && !config.publicUrl.startsWith('https://')) {
    if (!LOOPBACK.test(config.publicUrl)) {
      return {
        name: 'configuration',
        status: 'warn',
        detail,
        fix: 'serve the broker over https: PUBLIC_URL is the OAuth redirect URI and carries the consent cookies',
      };
    }
  }
  return { name: 'configuration', status: 'ok', detail };
}

const skipped = (name: string, why: string): CheckResult => ({
  name,
  status: 'skip',
  detail: `skipped: ${why}`,
});

/** A check that threw (a missing table, a dropped connection) is a failure. */
const failure = (name: string, error: unknown): CheckResult => ({
  name,
  status: 'fail',
  detail: error instanceof Error ? error.message : String(error),
  fix: 'run token-broker migrate, then token-broker doctor again',
});

const guarded = (name: string, run: () => Promise<CheckResult>): Promise<CheckResult> =>
  run().catch((error: unknown) => failure(name, error));

/**
 * Checks what a replica needs: configuration, database, migrations, encryption keys,
 * clock skew against the database and provider discovery reachability.
 *
 * @example
 * const report = await runDoctor(process.env, { timeoutMs: 5000 });
 * if (!report.ok) process.exitCode = 1;
 */
export async function runDoctor(
  env: NodeJS.ProcessEnv,
  options: { timeoutMs: number },
): Promise<DoctorReport> {
  const checks: CheckResult[] = [];
  const finish = () => ({ ok: checks.every((c) => c.status !== 'fail'), checks });
  let config: ResolvedConfig;
  let embedded: EmbeddedDatabase | undefined;
  try {
    ({ config, embedded } = await resolveConfig(
      loadConfig(env),
      createLogger({ level: 'silent' }),
    ));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    checks.push({
      name: 'configuration',
      status: 'fail',
      detail,
      fix:
        error instanceof ConfigError
          ? `set ${error.variable} as the README's configuration table describes`
          : 'fix the environment and run token-broker doctor again',
    });
    for (const name of ['database', 'migrations', 'clock skew', 'encryption keys'])
      checks.push(skipped(name, 'configuration is invalid'));
    return finish();
  }
  checks.push(checkConfiguration(config));
  // A pool of its own: the doctor needs a connect timeout and no Prisma client.
  const pool = new pg.Pool({
    connectionString: config.databaseUrl,
    max: 2,
    connectionTimeoutMillis: options.timeoutMs,
  });
  pool.on('error', () => undefined);
  try {
    const database = await checkDatabase(pool, config.databaseUrl);
    checks.push(database);
    if (database.status === 'fail') {
      for (const name of ['migrations', 'clock skew', 'encryption keys'])
        checks.push(skipped(name, 'database unreachable'));
      return finish();
    }
    const migrations = await guarded('migrations', () => checkMigrations(pool));
    checks.push(migrations);
    checks.push(await guarded('clock skew', () => checkClockSkew(pool)));
    if (migrations.status === 'fail') {
      checks.push(skipped('encryption keys', 'schema not current'));
      return finish();
    }
    checks.push(await guarded('encryption keys', () => checkEncryptionKeys(pool, config)));
    checks.push(
      ...(await checkProviderDiscovery(pool, options.timeoutMs).catch((error: unknown) => [
        failure('providers', error),
      ])),
    );
    return finish();
  } finally {
    await pool.end();
    await embedded?.stop();
  }
}

const MARK = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' } as const;

/** The report as text for a terminal. */
export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.flatMap((c) => [
    `${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.fix ? [`${' '.repeat(width + 8)}fix: ${c.fix}`] : []),
  ]);
  const failed = report.checks.filter((c) => c.status === 'fail').length;
  const warned = report.checks.filter((c) => c.status === 'warn').length;
  const summary =
    failed > 0
      ? `${failed} problem(s) to fix${warned ? `, ${warned} warning(s)` : ''}.`
      : `all good${warned ? `, ${warned} warning(s)` : ''}.`;
  return [...lines, '', summary].join('\n');
}

/**
 * `token-broker doctor [--json] [--timeout <ms>]`: exit code 1 when a check failed.
 *
 * @example
 * program.addCommand(doctorCommand());
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'check configuration, database, migrations, encryption keys, clock skew and provider discovery; say what to fix',
    )
    .option('--json', 'print JSON for scripts')
    .option('--timeout <ms>', 'timeout of each network check', '5000')
    .action(async (opts: { json?: boolean; timeout: string }, command: Command) => {
      const json = opts.json === true || command.parent?.opts<{ json?: boolean }>().json === true;
      const timeoutMs = Number(opts.timeout) > 0 ? Number(opts.timeout) : 5000;
      const report = await runDoctor(process.env, { timeoutMs });
      process.stdout.write(
        json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`,
      );
      if (!report.ok) process.exitCode = 1;
    });
}

import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../src/db/migrator.js';
import type { SweepReport } from '../src/refresh/sweep.js';
import { Keyring } from '../src/vault/keyring.js';
import { benchDatabase } from './database.js';
import { startBaseline } from './processes.js';
import { cpuBetween, machineCpu } from './machine.js';
import { bareGrants, bareSql, seedDue } from './refresh-ceiling.js';

/**
 * `npm run bench:refresh`: the refresher against its ceiling, measured in the same run.
 * Ceiling: (a) the local token endpoint (bench/refresh-endpoint.ts, a process of its own)
 * driven by a bare keep-alive client at the replica's concurrency; (b) a bare loop of the
 * SQL one refresh must run, at the same concurrency, on the same Postgres. Then one sweep
 * over BENCH_CONNECTIONS due connections by 1 and by 3 broker replicas, each a process of
 * its own (bench/refresh-replica.ts). Options: BENCH_CONNECTIONS (default 10,000),
 * BENCH_REFRESH_CONCURRENCY (REFRESH_CONCURRENCY and REFRESH_PROVIDER_CONCURRENCY of each
 * replica, default 8), BENCH_BROKER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * DATABASE_URL (a server on which a database of its own is made) else an embedded Postgres.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_REFRESH_CONCURRENCY ?? 8);
/** Connections of the warm-up sweep (JIT, pool connections, query plans) before measuring. */
const WARM_UP = 1_000;

interface SweepResult {
  report: SweepReport;
  seconds: number;
  cpuMicros: number;
  peakRssKb: number;
}

interface Replica {
  child: ChildProcess;
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const execArgv = process.env.BENCH_BROKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = fork(join(here, 'refresh-replica.js'), {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [string];
  if (ready !== 'ready') throw new Error(`replica said ${ready}`);
  return {
    child,
    async sweep() {
      child.send('sweep');
      const [result] = (await once(child, 'message')) as [SweepResult];
      return result;
    },
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function main() {
  process.stdout.write(
    `refresh bench: node ${process.version}, ${availableParallelism()} × ${cpus()[0]?.model ?? '?'}, ` +
      `${CONNECTIONS.toLocaleString('en-US')} due connections, concurrency ${CONCURRENCY} per replica\n`,
  );
  const endpoint = await startBaseline(join(here, 'refresh-endpoint.js'));
  const db = await benchDatabase('tb_bench_refresh');
  const key = randomBytes(32);
  const keyring = new Keyring([{ kid: 'bench', key }]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  const replicas: Replica[] = [];
  const reset = () => fetch(`${endpoint.url}/reset`, { method: 'POST' });
  const stats = async () =>
    (await (await fetch(`${endpoint.url}/stats`)).json()) as { grants: number; duplicates: number };
  try {
    await bareGrants(endpoint.url, CONCURRENCY, WARM_UP, 'warm');
    const endpointCpu = await endpoint.cpuMicros();
    const grantsPerSecond = await bareGrants(endpoint.url, CONCURRENCY, CONNECTIONS, 'bare');
    const endpointCpuPerGrant = ((await endpoint.cpuMicros()) - endpointCpu) / CONNECTIONS;
    await reset();
    await seedDue(db.url, keyring, endpoint.url, CONNECTIONS);
    const sqlStarted = performance.now();
    const beforeSql = await machineCpu();
    const sqlPerSecond = await bareSql(db.url, CONCURRENCY);
    const sqlUsed = cpuBetween(beforeSql, await machineCpu());
    const sqlCores = sqlUsed.busyMicros / 1e3 / (performance.now() - sqlStarted);
    const ceiling = Math.min(grantsPerSecond, sqlPerSecond);
    process.stdout.write(
      `ceiling (a) token endpoint, bare client: ${fmt(grantsPerSecond)} grants/s (endpoint ${fmt(endpointCpuPerGrant)} µs CPU/grant)\n` +
        `ceiling (b) bare SQL of a refresh (claim, read, token set, schedule, outbox; one transaction): ${fmt(sqlPerSecond)} refreshes/s, machine ${fmt(sqlCores, 2)} of ${availableParallelism()} cores busy\n` +
        `ceiling: ${fmt(ceiling)} refreshes/s\n`,
    );

    const env = {
      NODE_ENV: 'production',
      PORT: '0',
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEYS: `bench:${key.toString('base64')}`,
      ADMIN_API_TOKEN: randomBytes(24).toString('base64url'),
      PUBLIC_URL: 'https://broker.bench.invalid',
      PROVIDER_ALLOW_PRIVATE_URLS: 'true',
      REFRESH_CRON: 'off',
      REFRESH_CONCURRENCY: String(CONCURRENCY),
      REFRESH_PROVIDER_CONCURRENCY: String(CONCURRENCY),
    };
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(env));
    await seedDue(db.url, keyring, endpoint.url, WARM_UP);
    await reset();
    await Promise.all(replicas.map((r) => r.sweep()));

    const rows = [];
    for (const n of [1, 3]) {
      await seedDue(db.url, keyring, endpoint.url, CONNECTIONS);
      await reset();
      const started = performance.now();
      const before = await machineCpu();
      const results = await Promise.all(replicas.slice(0, n).map((r) => r.sweep()));
      const used = cpuBetween(before, await machineCpu());
      const seconds = (performance.now() - started) / 1000;
      const { grants, duplicates } = await stats();
      const { rows: versions } = await pool.query<{ twice: string; none: string }>(
        `SELECT count(*) FILTER (WHERE version > 2) AS twice, count(*) FILTER (WHERE version = 1) AS none FROM token_sets`,
      );
      const refreshed = results.reduce((s, r) => s + r.report.refreshed, 0);
      const cpu = results.reduce((s, r) => s + r.cpuMicros, 0);
      const rate = refreshed / seconds;
      rows.push({
        replicas: n,
        refreshed,
        'wall s': Number(fmt(seconds, 2)),
        'refreshes/s': Math.round(rate),
        'ratio to ceiling': Number(fmt(rate / ceiling, 2)),
        'broker CPU µs/refresh': Math.round(cpu / Math.max(1, refreshed)),
        'Postgres CPU µs/refresh': Math.round(used.postgresMicros / Math.max(1, refreshed)),
        'machine cores busy': Number(fmt(used.busyMicros / 1e6 / seconds, 2)),
        'peak RSS MB (max replica)': Math.round(
          Math.max(...results.map((r) => r.peakRssKb)) / 1024,
        ),
        grants,
        'duplicate grants': duplicates,
        'refreshed twice': Number(versions[0]!.twice),
        'not refreshed': Number(versions[0]!.none),
        'failed/errors': results.reduce((s, r) => s + r.report.failed + r.report.errors, 0),
      });
    }
    console.table(rows);
    const [one, three] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const verdicts: [boolean, string][] = [
      [one['ratio to ceiling'] >= 0.5, `one replica ≥ 0.5 × ceiling (${one['ratio to ceiling']})`],
      [one['refreshes/s'] >= 1_000, `one replica ≥ 1,000 refreshes/s (${one['refreshes/s']})`],
      [
        three['refreshes/s'] >= 1.5 * one['refreshes/s'],
        `3 replicas ≥ 1.5 × one (${fmt(three['refreshes/s'] / one['refreshes/s'], 2)} ×)`,
      ],
      [rows.every((r) => r['duplicate grants'] === 0), 'no duplicate grants'],
      [
        rows.every((r) => r['refreshed twice'] === 0 && r['not refreshed'] === 0),
        'every connection refreshed exactly once per sweep',
      ],
    ];
    for (const [ok, what] of verdicts) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
    // What the cores allow: every refresh costs the broker, Postgres and the token endpoint
    // CPU on the same machine, whatever the number of replicas.
    for (const r of rows) {
      const perRefresh =
        r['broker CPU µs/refresh'] + r['Postgres CPU µs/refresh'] + endpointCpuPerGrant;
      process.stdout.write(
        `${r.replicas} replica(s): ${fmt(perRefresh)} µs CPU/refresh on the machine (broker + Postgres + endpoint): ` +
          `its ${availableParallelism()} cores allow at most ${fmt((availableParallelism() * 1e6) / perRefresh)} refreshes/s; ${r['machine cores busy']} cores were busy\n`,
      );
    }
    process.exitCode = verdicts.slice(3).every(([ok]) => ok) ? 0 : 1;
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await pool.end();
    await endpoint.stop();
    await db.drop();
  }
}

await main();

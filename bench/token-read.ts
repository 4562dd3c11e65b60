import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrator.js';
import { Keyring } from '../src/vault/keyring.js';
import { benchDatabase } from './database.js';
import { startBaseline, startBroker, type BrokerChild, type Child } from './processes.js';
import { median, printTable, summarise, verdict, type Measurement, type Row } from './report.js';
import { benchConnectionId, seed } from './seed.js';
import { benchCredentials } from './service.js';
import { measure, pathsFile } from './wrk.js';

/**
 * `npm run bench`: the token read against bare node:http and against the broker's HTTP layer
 * alone (bench/layer-server.ts), in the same run, with the broker
 * in its default configuration (`NODE_ENV=production`, `LOG_LEVEL` unset: `info`) and at
 * `LOG_LEVEL=warn`. Load from Debian's wrk in a process of its own (bench/rotate.lua).
 * Options: `--quick` (or BENCH_QUICK=1) skips the 1,000,000-connection seed;
 * BENCH_DURATION seconds per measurement (default 3); BENCH_ROUNDS rounds of every
 * measurement, targets interleaved (default 3); BENCH_CONNECTIONS (default `1,16,64`);
 * BENCH_WRK_THREADS (default 1); BENCH_BROKER_NODE_ARGS (e.g. `--cpu-prof`);
 * DATABASE_URL (a server on which a database of its own is created and dropped) else an
 * embedded Postgres.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const duration = Number(process.env.BENCH_DURATION ?? 3);
/**
 * Requests/s on a shared 2-core machine drift by tens of percent within minutes, so every
 * round measures bare and both brokers one after the other, and the figures are medians
 * over the rounds (ratios: the median of the rounds' ratios).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = quick ? [1_000] : [1_000, 1_000_000];
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const THREADS = Number(process.env.BENCH_WRK_THREADS ?? 1);
/** Connections read in turn during a measurement, spread evenly over the seeded ones. */
const SAMPLE = 1_000;

const fmt = (n: number, digits = 1) => n.toFixed(digits);

const load = (server: Child, connections: number, paths: string, auth: string, threads = THREADS) =>
  measure(server, { connections, threads, seconds: duration, paths, auth });

/**
 * Shows whether wrk limits the bare server: its CPU use, and the bare server's
 * throughput with one wrk thread against two. If one thread were the ceiling, a second
 * would raise it; the bare server at ~1 core with wrk well below one is the server's limit.
 */
async function generatorCheck(baseline: Child, paths: string, auth: string) {
  const by: Record<number, Measurement[]> = { 1: [], 2: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of [1, 2]) by[threads]!.push(await load(baseline, 64, paths, auth, threads));
  }
  process.stdout.write('generator check (bare node:http, 64 connections, medians):\n');
  for (const threads of [1, 2]) {
    const m = summarise(by[threads]!);
    process.stdout.write(
      `  wrk -t${threads}: ${fmt(m.rps, 0)} req/s, wrk ${fmt(m.generatorCores, 2)} cores, bare server ${fmt(m.serverCores, 2)} cores, ${fmt(m.cpuPerRequest)} µs server CPU/request\n`,
    );
  }
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(
    `token read bench: node ${process.version}, ${availableParallelism()} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${duration} s per measurement, ${ROUNDS} rounds, wrk -t${THREADS}\n`,
  );
  const db = await benchDatabase('tb_bench');
  const scratch = await mkdtemp(join(tmpdir(), 'tb-bench-'));
  const key = randomBytes(32);
  const keyring = new Keyring([{ kid: 'bench', key }]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  await pool.end();
  const children: Child[] = [];
  const brokers: [string, BrokerChild][] = [];
  try {
    const baseline = await startBaseline(join(here, 'baseline-server.js'));
    children.push(baseline);
    const layer = await startBaseline(join(here, 'layer-server.js'));
    children.push(layer);
    const adminToken = randomBytes(24).toString('base64url');
    // What users run: only the settings the broker cannot start without. `warn` differs
    // by LOG_LEVEL alone. Production requires an https PUBLIC_URL: users terminate TLS in
    // front of the broker, which itself listens on plain http, as here on loopback. The
    // token read never uses PUBLIC_URL (it is the OAuth callback and the JWT issuer).
    for (const [kind, extra] of [
      ['default', {}],
      ['warn', { LOG_LEVEL: 'warn' }],
    ] as const) {
      const port = await freePort();
      const broker = await startBroker(join(here, '..', 'src', 'main.js'), port, {
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        TOKEN_ENCRYPTION_KEYS: `bench:${key.toString('base64')}`,
        ADMIN_API_TOKEN: adminToken,
        PUBLIC_URL: 'https://broker.bench.invalid',
        ...extra,
      });
      children.push(broker);
      brokers.push([kind, broker]);
    }
    const rows: Row[] = [];
    let seeded = 0;
    for (const size of SIZES) {
      const started = Date.now();
      await seed(db.url, keyring, seeded, size);
      process.stdout.write(
        `seeded ${size.toLocaleString('en-US')} connections (+${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
      seeded = size;
      const step = Math.max(1, Math.floor(size / SAMPLE));
      const paths = await pathsFile(
        scratch,
        `paths-${size}`,
        Array.from(
          { length: Math.min(SAMPLE, size) },
          (_, i) => `/v1/connections/${benchConnectionId(i * step)}/token`,
        ),
      );
      // Each broker has its own service; the bare server gets the very same requests.
      const creds = new Map<string, readonly (readonly [string, string])[]>();
      for (const [kind, broker] of brokers)
        creds.set(kind, await benchCredentials(broker, adminToken));
      // Warm-up: JIT, pool connections, caches.
      for (const [kind, broker] of brokers) {
        for (const [, auth] of creds.get(kind)!) {
          await load(baseline, 16, paths, auth);
          await load(broker, 16, paths, auth);
        }
      }
      if (size === SIZES[0]) await generatorCheck(baseline, paths, creds.get('default')![0]![1]);
      for (const connections of CONNECTIONS) {
        for (const c of [0, 1]) {
          const credential = creds.get('default')![c]![0];
          const rounds: Record<string, Measurement>[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            const measured: Record<string, Measurement> = {};
            // The bare server and the layer get the default broker's requests (same length as warn's).
            measured.bare = await load(baseline, connections, paths, creds.get('default')![c]![1]);
            measured.layer = await load(layer, connections, paths, creds.get('default')![c]![1]);
            // Every other round the other broker goes first: neither always runs just
            // after the other's load (its audit flush, its Postgres work).
            for (const [kind, broker] of round % 2 === 0 ? brokers : [...brokers].reverse()) {
              measured[kind] = await load(broker, connections, paths, creds.get(kind)![c]![1]);
            }
            rounds.push(measured);
          }
          for (const kind of ['bare', 'layer', ...brokers.map(([k]) => k)]) {
            const ms = rounds.map((r) => r[kind]!);
            const row: Row = {
              seeded: size,
              kind,
              credential,
              connections,
              target:
                kind === 'bare'
                  ? `bare node:http (${credential} request)`
                  : kind === 'layer'
                    ? `the broker's HTTP layer alone (${credential} request)`
                    : `broker ${kind}, ${credential}`,
              ...summarise(ms),
              ratio: median(rounds.map((r) => r[kind]!.rps / r.bare!.rps)),
              p99Ratio: median(rounds.map((r) => r[kind]!.p99 / r.bare!.p99)),
            };
            rows.push(row);
            process.stdout.write(
              `  @${connections} ${row.target}: ${fmt(row.rps, 0)} req/s (×${fmt(row.ratio, 2)}), p99 ${fmt(row.p99, 2)} ms (×${fmt(row.p99Ratio, 2)}), ${fmt(row.cpuPerRequest)} µs CPU/request, wrk ${fmt(row.generatorCores, 2)} cores\n`,
            );
          }
        }
      }
    }
    printTable(rows);
    verdict(rows, SIZES);
    for (const [kind, broker] of brokers) {
      const metrics = await (
        await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
      ).text();
      const lookups = metrics
        .split('\n')
        .filter((l) => l.startsWith('token_broker_cache_lookups_total'));
      process.stdout.write(`\nbroker ${kind}, cache lookups:\n${lookups.join('\n')}\n`);
    }
  } finally {
    for (const child of children.reverse()) await child.stop();
    for (const [kind, broker] of brokers) {
      const { lines, bytes } = await broker.logged();
      process.stdout.write(
        `broker ${kind} logged ${lines.toLocaleString('en-US')} lines (${(bytes / 2 ** 20).toFixed(1)} MiB)\n`,
      );
    }
    await rm(scratch, { recursive: true, force: true });
    await db.drop();
  }
}

await main();

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
import { startBaseline, startBroker, type Child } from './processes.js';
import { median, printTable, summarise, type Measurement, type Row } from './report.js';
import { BENCH_PROVIDER, benchConnectionId, seed } from './seed.js';
import { benchCredentials } from './service.js';
import { measure, pathsFile } from './wrk.js';

/**
 * `npm run bench:proxy`: calls proxied by the broker against direct calls to the same
 * local upstream (bench/baseline-server.ts, a process of its own), in the same run, with
 * the broker in its default configuration (`NODE_ENV=production`, `LOG_LEVEL` unset).
 * Beside them, bench/passthrough-server.ts: bare node:http forwarding with undici, the
 * ceiling of any Node proxy on the machine; and the token read on the same broker, the
 * part of the broker's work that is not forwarding.
 * Load from Debian's wrk in a process of its own. Options: BENCH_DURATION seconds per
 * measurement (default 4); BENCH_ROUNDS rounds, direct and proxied interleaved (default
 * 3); BENCH_CONNECTIONS (default `1,16`; the targets are at 16); BENCH_WRK_THREADS
 * (default 1); BENCH_BROKER_NODE_ARGS (e.g. `--cpu-prof`); DATABASE_URL (a server on
 * which a database of its own is created and dropped) else an embedded Postgres.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const duration = Number(process.env.BENCH_DURATION ?? 4);
/** The machine's load drifts within minutes: every round measures both, one after the other. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16').split(',').map(Number);
const THREADS = Number(process.env.BENCH_WRK_THREADS ?? 1);
/** Connections proxied in turn (each its own token read and rate-limit scope). */
const SAMPLE = 1_000;
/** Issue 17's targets, at {@link TARGET_CONNECTIONS} connections. */
const TARGET_CONNECTIONS = 16;
const MIN_RATIO = 0.5;
const MAX_ADDED_P50_MS = 0.5;
/** The upstream path every request ends at. */
const UPSTREAM_PATH = '/bench/resource';

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Transactions committed in the bench's database so far (Postgres flushes these each second). */
async function transactions(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    'SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * A wrk run with the upstream's CPU time over it too (the proxied run loads both), and
 * the database transactions per request (the proxy's hot path should need none).
 */
async function load(
  pool: pg.Pool,
  target: Child,
  upstream: Child,
  connections: number,
  paths: string,
  auth: string,
) {
  const before = await upstream.cpuMicros();
  const queries = await transactions(pool);
  const started = performance.now();
  const m = await measure(target, {
    connections,
    threads: THREADS,
    seconds: duration,
    paths,
    auth,
  });
  const upstreamCores =
    ((await upstream.cpuMicros()) - before) / 1e3 / (performance.now() - started);
  const upstreamPerRequest = ((await upstream.cpuMicros()) - before) / Math.max(1, m.requests);
  const dbPerRequest = ((await transactions(pool)) - queries) / Math.max(1, m.requests);
  return { ...m, upstreamCores, upstreamPerRequest, dbPerRequest };
}

type Measured = Measurement & {
  upstreamCores: number;
  upstreamPerRequest: number;
  dbPerRequest: number;
};

type Kind = 'direct' | 'passthrough' | 'token' | 'proxied';
const TARGETS: Record<Kind, string> = {
  direct: 'direct to the upstream',
  passthrough: 'bare node:http + undici pass-through',
  token: 'token read on the same broker (no upstream)',
  proxied: 'proxied by the broker',
};

function row(kind: Kind, connections: number, ms: Measured[], ratio: number): Row {
  return {
    seeded: SAMPLE,
    kind,
    credential: 'API key',
    connections,
    target: TARGETS[kind],
    ...summarise(ms),
    ratio,
    p99Ratio: 1,
  };
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(
    `proxy bench: node ${process.version}, ${availableParallelism()} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${duration} s per measurement, ${ROUNDS} rounds, wrk -t${THREADS}\n`,
  );
  const db = await benchDatabase('tb_bench_proxy');
  const scratch = await mkdtemp(join(tmpdir(), 'tb-bench-proxy-'));
  const key = randomBytes(32);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const children: Child[] = [];
  try {
    await migrate(pool);
    await seed(db.url, new Keyring([{ kid: 'bench', key }]), 0, SAMPLE);
    const upstream = await startBaseline(join(here, 'baseline-server.js'));
    children.push(upstream);
    await pool.query('UPDATE providers SET api_base_url = $1 WHERE key = $2', [
      upstream.url,
      BENCH_PROVIDER,
    ]);
    const adminToken = randomBytes(24).toString('base64url');
    // The default configuration, plus what production cannot start without (see `npm run
    // bench`) and PROVIDER_ALLOW_PRIVATE_URLS: production refuses an api_base_url on loopback.
    const broker = await startBroker(join(here, '..', 'src', 'main.js'), await freePort(), {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEYS: `bench:${key.toString('base64')}`,
      ADMIN_API_TOKEN: adminToken,
      PUBLIC_URL: 'https://broker.bench.invalid',
      PROVIDER_ALLOW_PRIVATE_URLS: 'true',
    });
    children.push(broker);
    // What any Node proxy costs at least, measured beside the broker.
    const passthrough = await startBaseline(join(here, 'passthrough-server.js'), [upstream.url]);
    children.push(passthrough);
    const [[, apiKey]] = await benchCredentials(broker, adminToken);
    const ids = Array.from({ length: SAMPLE }, (_, i) => benchConnectionId(i));
    const proxied = await pathsFile(
      scratch,
      'proxied',
      ids.map((id) => `/v1/connections/${id}/proxy${UPSTREAM_PATH}`),
    );
    // What the broker does before it calls the upstream, alone: the token read.
    const reads = await pathsFile(
      scratch,
      'reads',
      ids.map((id) => `/v1/connections/${id}/token`),
    );
    // The same requests, Authorization included, straight to the upstream.
    const direct = await pathsFile(scratch, 'direct', [UPSTREAM_PATH]);
    const probe = await fetch(`${broker.url}/v1/connections/${ids[0]}/proxy${UPSTREAM_PATH}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (probe.status !== 200)
      throw new Error(`proxied probe: ${probe.status} ${await probe.text()}`);
    // Warm-up: JIT, the token cache, the upstream pool's sockets.
    await load(pool, upstream, upstream, 16, direct, apiKey);
    await load(pool, broker, upstream, 16, proxied, apiKey);
    await load(pool, passthrough, upstream, 16, proxied, apiKey);

    const rows: Row[] = [];
    const added = new Map<number, number>();
    const targets: [Kind, Child, string][] = [
      ['direct', upstream, direct],
      ['passthrough', passthrough, proxied],
      ['token', broker, reads],
      ['proxied', broker, proxied],
    ];
    for (const connections of CONNECTIONS) {
      const rounds: Record<Kind, Measured>[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const measured = {} as Record<Kind, Measured>;
        for (const [kind, target, paths] of targets) {
          measured[kind] = await load(pool, target, upstream, connections, paths, apiKey);
        }
        rounds.push(measured);
      }
      added.set(connections, median(rounds.map((r) => r.proxied.p50 - r.direct.p50)));
      for (const [kind] of targets) {
        const of = rounds.map((r) => r[kind]);
        const r = row(kind, connections, of, median(rounds.map((x) => x[kind].rps / x.direct.rps)));
        rows.push(r);
        process.stdout.write(
          `  @${connections} ${r.target}: ${fmt(r.rps, 0)} req/s (×${fmt(r.ratio, 2)}), p50 ${fmt(r.p50, 3)} ms, p99 ${fmt(r.p99, 2)} ms, ` +
            `${kind === 'direct' ? '' : `itself ${fmt(r.serverCores, 2)} cores (${fmt(r.cpuPerRequest)} µs/request), `}` +
            `upstream ${fmt(median(of.map((x) => x.upstreamCores)), 2)} cores (${fmt(median(of.map((x) => x.upstreamPerRequest)))} µs/request), ` +
            `wrk ${fmt(r.generatorCores, 2)} cores, ${fmt(median(of.map((x) => x.dbPerRequest)), 3)} database transactions/request\n`,
        );
      }
      process.stdout.write(
        `  @${connections} throughput ratio ${fmt(rows.at(-1)!.ratio, 2)}, added median latency ${fmt(added.get(connections)!, 3)} ms\n`,
      );
    }
    printTable(rows);

    const at = rows.filter((r) => r.connections === TARGET_CONNECTIONS);
    const ratio = at.find((r) => r.kind === 'proxied')?.ratio;
    const extra = added.get(TARGET_CONNECTIONS);
    const wrkCores = Math.max(...at.map((r) => r.generatorCores));
    const checks: [string, boolean][] = [
      [
        `throughput ratio proxied/direct ≥ ${MIN_RATIO} at ${TARGET_CONNECTIONS} connections: ${ratio === undefined ? 'not measured' : fmt(ratio, 2)}`,
        ratio !== undefined && ratio >= MIN_RATIO,
      ],
      [
        `added median latency ≤ ${MAX_ADDED_P50_MS} ms at ${TARGET_CONNECTIONS} connections: ${extra === undefined ? 'not measured' : `${fmt(extra, 3)} ms`}`,
        extra !== undefined && extra <= MAX_ADDED_P50_MS,
      ],
      ['no failed requests (every answer 2xx)', rows.every((r) => r.failures === 0)],
      [
        `load generator not the bottleneck: wrk below one core (up to ${fmt(wrkCores, 2)} cores)`,
        at.length > 0 && wrkCores < 0.9,
      ],
    ];
    for (const [what, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
    const metrics = await (
      await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).text();
    process.stdout.write(
      `\n${metrics
        .split('\n')
        .filter((l) =>
          /^token_broker_(proxy_(requests|retries|rate_limited)_total|cache_lookups_total)/.test(l),
        )
        .join('\n')}\n`,
    );
  } finally {
    for (const child of children.reverse()) await child.stop();
    await pool.end();
    await rm(scratch, { recursive: true, force: true });
    await db.drop();
  }
}

await main();

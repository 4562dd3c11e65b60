import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrator.js';
import { Keyring } from '../src/vault/keyring.js';
import { startBaseline, startBroker, type Child } from './processes.js';
import { benchConnectionId, seed } from './seed.js';

/**
 * `npm run bench`: the token read against bare node:http, in the same run.
 * Options: `--quick` (or BENCH_QUICK=1) skips the 1,000,000-connection seed;
 * BENCH_DURATION seconds per measurement (default 3); BENCH_ROUNDS rounds of every
 * measurement, bare and broker interleaved (default 3); BENCH_CONNECTIONS (default
 * `1,16,64`); BENCH_BROKER_NODE_ARGS (e.g. `--cpu-prof`); DATABASE_URL (a server on which a
 * database of its own is created and dropped) else an embedded Postgres.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
const duration = Number(process.env.BENCH_DURATION ?? 3);
/**
 * Requests/s on a shared 2-core machine drift by tens of percent within minutes, so each
 * broker measurement is paired with a bare one taken just before it, and the figures are
 * the medians over the rounds (the ratio: the median of the rounds' ratios).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SIZES = quick ? [1_000] : [1_000, 1_000_000];
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
/** Connections read in turn during a measurement, spread evenly over the seeded ones. */
const SAMPLE = 1_000;

interface Row {
  seeded: number;
  target: string;
  connections: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  failures: number;
  /** Server CPU time per request (µs): robust to other load on the machine, unlike requests/s. */
  cpuPerRequest: number;
  ratio?: number;
  cpuRatio?: number;
  /** The paired bare measurement's p99, for the broker's rows. */
  bareP99?: number;
}

type Measurement = Awaited<ReturnType<typeof load>>;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The rounds' medians (max: the largest seen; failures: all of them). */
const summarise = (ms: Measurement[]): Measurement => ({
  rps: median(ms.map((m) => m.rps)),
  p50: median(ms.map((m) => m.p50)),
  p99: median(ms.map((m) => m.p99)),
  max: Math.max(...ms.map((m) => m.max)),
  failures: ms.reduce((n, m) => n + m.failures, 0),
  cpuPerRequest: median(ms.map((m) => m.cpuPerRequest)),
});

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  const embedded =
    process.env.DATABASE_URL === undefined
      ? await startEmbeddedPostgres(join(here, '..', '..', '.data', 'bench', 'postgres'))
      : undefined;
  const server = new URL(process.env.DATABASE_URL ?? embedded!.url);
  const name = `tb_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: server.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await embedded?.stop();
    },
  };
}

async function load(server: Child, connections: number, paths: string[], auth?: string) {
  let next = 0;
  const { url } = server;
  const cpuBefore = await server.cpuMicros();
  const result = await autocannon({
    url,
    connections,
    duration,
    ...(auth ? { headers: { authorization: `Bearer ${auth}` } } : {}),
    requests: [
      {
        setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] ?? '/' }),
      },
    ],
  });
  const cpu = (await server.cpuMicros()) - cpuBefore;
  return {
    cpuPerRequest: cpu / Math.max(1, result.requests.total),
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

async function credentials(broker: Child, adminToken: string) {
  const created = await fetch(`${broker.url}/admin/services`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', allowed_providers: ['bench'] }),
  });
  const service = (await created.json()) as {
    client_id: string;
    client_secret: string;
    api_key: string;
  };
  return {
    apiKey: service.api_key,
    async jwt() {
      const res = await fetch(`${broker.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${service.client_id}:${service.client_secret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
  };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

function print(rows: Row[]) {
  const header =
    '| connections seeded | target | concurrent | requests/s | p50 ms | p99 ms | max ms | failed | broker/bare | server CPU µs/request | bare/broker CPU |';
  const lines = [header, '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.seeded.toLocaleString('en-US')} | ${r.target} | ${r.connections} | ${fmt(r.rps, 0)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.max)} | ${r.failures} | ${r.ratio === undefined ? '' : fmt(r.ratio, 2)} | ${fmt(r.cpuPerRequest)} | ${r.cpuRatio === undefined ? '' : fmt(r.cpuRatio, 2)} |`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

function verdict(rows: Row[]) {
  const at64 = rows.filter((r) => r.connections === 64 && r.bareP99 !== undefined);
  const bareP99 = Math.max(...at64.map((r) => r.bareP99 ?? 0));
  const checks: [string, boolean][] = [
    ['throughput ≥ 0.5 × bare at 64 connections', at64.every((r) => (r.ratio ?? 0) >= 0.5)],
    [
      `p99 ≤ 5 ms at 64 connections (bare node:http's own p99 in this run: up to ${fmt(bareP99)} ms)`,
      at64.every((r) => r.p99 <= 5),
    ],
    ['no failed requests', rows.every((r) => r.failures === 0)],
  ];
  if (SIZES.length > 1) {
    const small = at64.filter((r) => r.seeded === SIZES[0]);
    const big = at64.filter((r) => r.seeded === SIZES[1]);
    const meanCpu = (rs: Row[]) => rs.reduce((n, r) => n + r.cpuPerRequest, 0) / rs.length;
    const compare = (ok: (big: number, small: number) => boolean, pick: (r: Row) => number) =>
      small.every((s) => {
        const b = big.find((x) => x.target === s.target);
        return b !== undefined && ok(pick(b), pick(s));
      });
    checks.push(
      [
        '1M throughput ratio within 10 % of 1k (64 connections)',
        compare(
          (b, s) => Math.abs(b - s) <= 0.1 * s,
          (r) => r.ratio ?? 0,
        ),
      ],
      // Less sensitive to other load than requests/s, but one credential's figure still
      // swings ±15 % between runs: the mean over both credentials, and one-sided, since
      // what must not happen is reads getting dearer as connections grow.
      [
        '1M server CPU per request (mean of API key and JWT) at most 10 % above 1k (64 connections)',
        meanCpu(big) <= 1.1 * meanCpu(small),
      ],
    );
  }
  if (at64.length === 0) {
    process.stdout.write('SKIP  targets: no measurement at 64 connections\n');
    return;
  }
  for (const [what, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${what}\n`);
}

async function main() {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  process.stdout.write(
    `token read bench: node ${process.version}, ${availableParallelism()} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${duration} s per measurement\n`,
  );
  const db = await database();
  const key = randomBytes(32);
  const keyring = new Keyring([{ kid: 'bench', key }]);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  await migrate(pool);
  await pool.end();
  const children: Child[] = [];
  try {
    const baseline = await startBaseline(join(here, 'baseline-server.js'));
    children.push(baseline);
    const adminToken = randomBytes(24).toString('base64url');
    const port = await freePort();
    const broker = await startBroker(join(here, '..', 'src', 'main.js'), port, {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEYS: `bench:${key.toString('base64')}`,
      ADMIN_API_TOKEN: adminToken,
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      REFRESH_CRON: 'off',
      LOG_LEVEL: 'warn',
    });
    children.push(broker);
    const creds = await credentials(broker, adminToken);
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
      const paths = Array.from(
        { length: Math.min(SAMPLE, size) },
        (_, i) => `/v1/connections/${benchConnectionId(i * step)}/token`,
      );
      const jwt = await creds.jwt();
      // The bare server gets the very requests the broker gets (path and Authorization).
      const credentialsUsed: [string, string][] = [
        ['API key', creds.apiKey],
        ['JWT', jwt],
      ];
      // Warm-up: JIT, pool connections, caches.
      for (const [, auth] of credentialsUsed) {
        await load(baseline, 16, paths, auth);
        await load(broker, 16, paths, auth);
      }
      for (const connections of CONNECTIONS) {
        for (const [credential, auth] of credentialsUsed) {
          const pairs: { bare: Measurement; broker: Measurement }[] = [];
          for (let round = 0; round < ROUNDS; round++) {
            const bare = await load(baseline, connections, paths, auth);
            pairs.push({ bare, broker: await load(broker, connections, paths, auth) });
          }
          const bare = summarise(pairs.map((p) => p.bare));
          const measured = summarise(pairs.map((p) => p.broker));
          const common = { seeded: size, connections };
          rows.push(
            { ...common, target: `bare node:http (${credential} request)`, ...bare, ratio: 1 },
            {
              ...common,
              target: `broker, ${credential}`,
              ...measured,
              ratio: median(pairs.map((p) => p.broker.rps / p.bare.rps)),
              cpuRatio: median(pairs.map((p) => p.bare.cpuPerRequest / p.broker.cpuPerRequest)),
              bareP99: bare.p99,
            },
          );
          process.stdout.write(
            `  @${connections} ${credential}: bare ${fmt(bare.rps, 0)} req/s (p99 ${fmt(bare.p99)} ms, ${fmt(bare.cpuPerRequest)} µs CPU/request), broker ${fmt(measured.rps, 0)} req/s (p99 ${fmt(measured.p99)} ms, ${fmt(measured.cpuPerRequest)} µs CPU/request)\n`,
          );
        }
      }
    }
    print(rows);
    verdict(rows);
    const metrics = await (
      await fetch(`${broker.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })
    ).text();
    const lookups = metrics
      .split('\n')
      .filter((l) => l.startsWith('token_broker_cache_lookups_total'));
    process.stdout.write(`\nbroker cache lookups:\n${lookups.join('\n')}\n`);
  } finally {
    for (const child of children.reverse()) await child.stop();
    await db.drop();
  }
}

await main();

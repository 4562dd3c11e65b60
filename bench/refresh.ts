// Benchmark (not a test): refresher sweeps over 10,000 due connections against a local
// token endpoint that rotates refresh tokens, by 1 and by 3 replicas (in-process brokers
// sharing one database). Prints wall time, refreshes/s, peak RSS and duplicate grants.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run bench:refresh
//
// Without DATABASE_URL an embedded Postgres is started under .data/bench.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { startBroker, type RunningBroker } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/index.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { newId } from '../src/ids.js';
import { createLogger } from '../src/observability/logger.js';
import { defaultSweepOptions } from '../src/refresh/job.js';
import { exec } from '../src/refresh/sweep.js';
import { sealTokenSet } from '../src/vault/token-set.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const SEED_BATCH = 1_000;
const PROVIDER = 'bench';
const CONCURRENCY = 8;

/** A token endpoint that rotates refresh tokens and counts any refresh token used twice. */
async function startTokenEndpoint() {
  const live = new Set<string>();
  const used = new Set<string>();
  let grants = 0;
  let duplicates = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const rt = new URLSearchParams(body).get('refresh_token') ?? '';
      grants++;
      if (used.has(rt) || !live.has(rt)) {
        duplicates++;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      live.delete(rt);
      used.add(rt);
      const next = `rt-${randomBytes(12).toString('base64url')}`;
      live.add(next);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(
        JSON.stringify({
          access_token: `at-${randomBytes(12).toString('base64url')}`,
          refresh_token: next,
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    issue(rt: string) {
      live.add(rt);
    },
    stats: () => ({ grants, duplicates }),
    reset() {
      grants = 0;
      duplicates = 0;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/** Inserts `n` due connections in batches (connections, then their encrypted token sets). */
async function seed(
  broker: RunningBroker,
  endpoint: Awaited<ReturnType<typeof startTokenEndpoint>>,
  n: number,
) {
  const { prisma } = broker.container.db;
  const keyring = broker.container.keyring;
  await prisma.connection.deleteMany({});
  const due = new Date(Date.now() - 1_000);
  const expiresAt = new Date(Date.now() + 60_000);
  for (let start = 0; start < n; start += SEED_BATCH) {
    const rows = Array.from({ length: Math.min(SEED_BATCH, n - start) }, () => {
      const id = newId('conn');
      const rt = `rt-${randomBytes(12).toString('base64url')}`;
      endpoint.issue(rt);
      return { id, rt };
    });
    await prisma.connection.createMany({
      data: rows.map((r) => ({
        id: r.id,
        providerKey: PROVIDER,
        subject: r.id,
        expiresAt,
        nextRefreshAt: due,
      })),
    });
    await prisma.tokenSet.createMany({
      data: rows.map((r) => ({
        connectionId: r.id,
        ...sealTokenSet(keyring, r.id, {
          accessToken: 'at-initial',
          refreshToken: r.rt,
          idToken: undefined,
          tokenType: 'Bearer',
          expiresAt,
        }),
      })),
    });
  }
}

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  let server = process.env.DATABASE_URL;
  const embedded = server ? undefined : await startEmbeddedPostgres(join('.data', 'bench'));
  server ??= embedded!.url;
  const name = `bench_refresh_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await embedded?.stop();
    },
  };
}

async function main() {
  const endpoint = await startTokenEndpoint();
  const db = await database();
  const env = {
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: db.url,
    TOKEN_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ADMIN_API_TOKEN: randomBytes(24).toString('base64url'),
    REFRESH_CRON: 'off',
    REFRESH_CONCURRENCY: String(CONCURRENCY),
    REFRESH_PROVIDER_CONCURRENCY: String(CONCURRENCY),
    LOG_LEVEL: 'warn',
  };
  const logger = createLogger({ level: 'warn' });
  const brokers: RunningBroker[] = [];
  for (let i = 0; i < 3; i++) brokers.push(await startBroker(loadConfig(env), logger));
  const first = brokers[0]!;
  const keyring = first.container.keyring;
  await first.container.db.prisma.provider.create({
    data: {
      key: PROVIDER,
      displayName: 'Bench',
      issuer: endpoint.url,
      metadata: { issuer: endpoint.url, token_endpoint: `${endpoint.url}/token` },
      clientId: 'broker',
      clientAuthMethod: 'client_secret_post',
      keyId: keyring.currentKid,
      clientSecret: keyring.encrypt('s', {
        table: 'providers',
        id: PROVIDER,
        field: 'client_secret',
      }),
      scopes: [],
    },
  });

  const results = [];
  for (const replicas of [1, 3]) {
    await seed(first, endpoint, CONNECTIONS);
    endpoint.reset();
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const reports = await Promise.all(
      brokers.slice(0, replicas).map((b, i) =>
        exec(b.container, {
          ...defaultSweepOptions(b.container.config, `bench-${i}`),
          budgetMs: 600_000,
        }),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const refreshed = reports.reduce((n, r) => n + r.refreshed, 0);
    const { grants, duplicates } = endpoint.stats();
    results.push({
      replicas,
      connections: CONNECTIONS,
      refreshed,
      'wall time (s)': Number(seconds.toFixed(2)),
      'refreshes/s': Math.round(refreshed / seconds),
      'peak RSS (MB)': Math.round(peakRss / 1024 / 1024),
      'provider grants': grants,
      'duplicate grants': duplicates,
      failed: reports.reduce((n, r) => n + r.failed + r.errors, 0),
    });
  }
  console.table(results);
  console.log(
    `concurrency ${CONCURRENCY} per replica (one provider), Node ${process.version}; ` +
      'all replicas in this one process, so peak RSS is theirs together',
  );
  for (const b of brokers) await b.stop();
  await db.drop();
  await endpoint.close();
  const bad = results.some((r) => r['duplicate grants'] > 0 || r.refreshed !== CONNECTIONS);
  process.exit(bad ? 1 : 0);
}

await main();

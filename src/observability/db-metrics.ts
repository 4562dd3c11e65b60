import { Gauge } from 'prom-client';
import type pg from 'pg';
import { METRIC_CATALOG } from './metric-names.js';
import { registry } from './metrics.js';

/** How long the scrape-time ping may take before Postgres counts as down. */
const PING_TIMEOUT_MS = 1_000;

// A process normally serves one pool; tests run two brokers in one process and see the sum.
const pools = new Set<pg.Pool>();

const live = (): pg.Pool[] => {
  for (const pool of pools) if (pool.ended) pools.delete(pool);
  return [...pools];
};

const sum = (read: (pool: pg.Pool) => number) => live().reduce((n, pool) => n + read(pool), 0);

new Gauge({
  name: 'token_broker_db_pool_connections',
  help: METRIC_CATALOG.token_broker_db_pool_connections.help,
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.set(
      { state: 'total' },
      sum((p) => p.totalCount),
    );
    this.set(
      { state: 'idle' },
      sum((p) => p.idleCount),
    );
    this.set(
      { state: 'waiting' },
      sum((p) => p.waitingCount),
    );
  },
});

new Gauge({
  name: 'token_broker_db_pool_max',
  help: METRIC_CATALOG.token_broker_db_pool_max.help,
  registers: [registry],
  collect() {
    this.set(sum((p) => p.options.max ?? 10));
  },
});

const ping = async (pool: pg.Pool): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((ok) => {
    timer = setTimeout(() => ok(false), PING_TIMEOUT_MS);
  });
  try {
    const query = pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

new Gauge({
  name: 'token_broker_db_up',
  help: METRIC_CATALOG.token_broker_db_up.help,
  registers: [registry],
  async collect() {
    const pinged = await Promise.all(live().map(ping));
    this.set(pinged.length > 0 && pinged.every(Boolean) ? 1 : 0);
  },
});

/**
 * Reports `pool` in the `token_broker_db_pool_*` gauges and `token_broker_db_up` until it
 * is ended.
 *
 * @example
 * observePool(db.pool);
 */
export function observePool(pool: pg.Pool): void {
  pools.add(pool);
}

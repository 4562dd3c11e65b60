import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config/index.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import type { TokenService } from '../tokens/token-service.js';
import { claimDue, countDue, releaseClaim, type Claim } from './claims.js';
import { Semaphore } from './limiter.js';
import { refreshBacklog, sweepDuration } from './metrics.js';

export interface SweepOptions {
  /** This replica's lease owner id. */
  owner: string;
  /** Refreshes in flight on this replica. */
  concurrency: number;
  /** Refreshes in flight per provider on this replica. */
  providerConcurrency: number;
  /** How long a claim holds before other replicas may take it over. */
  leaseMs: number;
  /** No new claims once the sweep has run this long (claimed work still finishes). */
  budgetMs: number;
  /** Connections claimed at a time. */
  batchSize: number;
  /** Aborted on shutdown: no new claims, claimed work not yet started is given back. */
  signal?: AbortSignal;
}

/** What one sweep did, for its log line and tests. */
export interface SweepReport {
  claimed: number;
  refreshed: number;
  /** Refreshed meanwhile by another caller or replica (single-flight), nothing to do. */
  current: number;
  /** Revoked, reauthorization_required or gone by the time it was looked at. */
  inactive: number;
  failed: number;
  /** Unexpected (database) errors; the claim lapses and the connection is retried. */
  errors: number;
  durationMs: number;
  /** Due connections left after the sweep. */
  backlog: number;
}

/** Connections of the pool left to the read path and the sweep's own claims. */
const POOL_RESERVE = 2;
/** Each refresh holds a pool connection for its transaction: never more than the pool has. */
const poolShare = (max: number | undefined) => Math.max(1, (max ?? 10) - POOL_RESERVE);

/** What a sweep needs; the container provides it. */
export interface SweepDeps {
  config: ResolvedConfig;
  db: Database;
  /** The single-flight refresh every refresh goes through. */
  tokens: Pick<TokenService, 'refresh'>;
  clock: Clock;
  logger: Logger;
}

/**
 * One refresher sweep on this replica: claims due connections in batches through
 * Postgres (`claimDue`: SKIP LOCKED plus a lease, so replicas share the work), refreshes
 * each through the token service's single-flight refresh with bounded concurrency per
 * replica and per provider, and gives each claim back when done. One failing connection
 * never stops the run; the sweep stops claiming when its time budget is spent.
 *
 * @example
 * const report = await exec(container, { ...defaultSweepOptions(container.config), owner: 'r1' });
 */
export async function exec(c: SweepDeps, o: SweepOptions): Promise<SweepReport> {
  const started = Date.now();
  const stopTimer = sweepDuration.startTimer();
  const pool = c.db.pool;
  const report: SweepReport = {
    claimed: 0,
    refreshed: 0,
    current: 0,
    inactive: 0,
    failed: 0,
    errors: 0,
    durationMs: 0,
    backlog: 0,
  };
  const slots = new Semaphore(Math.min(o.concurrency, poolShare(pool.options.max)));
  const perProvider = new Map<string, Semaphore>();
  const pending = new Set<Promise<void>>();

  async function refreshOne(claim: Claim): Promise<void> {
    if (o.signal?.aborted) {
      await releaseClaim(pool, o.owner, claim.id).catch(() => undefined);
      return;
    }
    try {
      const outcome = await c.tokens.refresh(claim.id, {
        minTtlSeconds: c.config.refreshWindowSeconds,
        scheduled: true,
        actor: { type: 'system', id: 'refresher' },
      });
      report[outcome.kind]++;
    } catch (error) {
      // Provider failures come back as outcomes (and are logged there): this is the database.
      report.errors++;
      c.logger.error(
        { connection_id: claim.id, class: (error as Error).name },
        'refresher could not refresh a connection',
      );
      return;
    }
    await releaseClaim(pool, o.owner, claim.id).catch(() => undefined);
  }

  function launch(claim: Claim): void {
    let provider = perProvider.get(claim.providerKey);
    if (!provider) {
      provider = new Semaphore(o.providerConcurrency);
      perProvider.set(claim.providerKey, provider);
    }
    const limited = provider;
    const task = limited
      .run(() => slots.run(() => refreshOne(claim)))
      .finally(() => pending.delete(task));
    pending.add(task);
  }

  try {
    while (!o.signal?.aborted && Date.now() - started < o.budgetMs) {
      // Claim only what can start soon, so claims do not lapse while waiting here.
      while (pending.size > o.batchSize / 2) await Promise.race(pending);
      const now = c.clock.now();
      const claims = await claimDue(
        pool,
        o.owner,
        now,
        new Date(now.getTime() + o.leaseMs),
        o.batchSize - pending.size,
      );
      if (claims.length === 0) break;
      report.claimed += claims.length;
      for (const claim of claims) launch(claim);
    }
  } finally {
    await Promise.all(pending);
    report.backlog = await countDue(pool, c.clock.now()).catch(() => -1);
    if (report.backlog >= 0) refreshBacklog.set(report.backlog);
    report.durationMs = Date.now() - started;
    stopTimer();
  }
  return report;
}

import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config/index.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import type { TokenService } from '../tokens/token-service.js';
import { claimDue, countDue, releaseClaims, type Claim } from './claims.js';
import type { RefreshOutcome } from './single-flight.js';
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
  /** Aborted on shutdown: no new claims, claimed work not yet at the provider is given back. */
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

/** Connections of the pool left to the read path and the writes of refresh results. */
const POOL_RESERVE = 2;
/**
 * Claimed batches being refreshed at once, each holding a pool connection for its locks:
 * the next batch's provider calls start while the last ones of the batch before finish.
 * More would hoard claims: replicas share a burst of due connections only if none claims
 * far beyond what it can start.
 */
const BATCHES_IN_FLIGHT = 2;

/** What a sweep needs; the container provides it. */
export interface SweepDeps {
  config: ResolvedConfig;
  db: Database;
  /** The single-flight refresh every refresh goes through. */
  tokens: Pick<TokenService, 'refreshDue'>;
  clock: Clock;
  logger: Logger;
}

/**
 * One refresher sweep on this replica: claims due connections in batches through
 * Postgres (`claimDue`: SKIP LOCKED plus a lease, so replicas share the work) and has each
 * batch refreshed at once by the token service's single-flight refresher (`refreshDue`:
 * locks taken and rows read per batch, results stored in groups), provider calls bounded
 * per replica and per provider; claims not refreshed are given back in one statement. One
 * failing connection never stops the run; the sweep stops claiming when its time budget
 * is spent.
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
  const slots = new Semaphore(o.concurrency);
  const perProvider = new Map<string, Semaphore>();
  const inFlight = Math.max(
    1,
    Math.min(BATCHES_IN_FLIGHT, (pool.options.max ?? 10) - POOL_RESERVE),
  );
  const pending = new Set<Promise<void>>();
  const limit = <T>(providerKey: string, task: () => Promise<T>): Promise<T> => {
    let provider = perProvider.get(providerKey);
    if (!provider) {
      provider = new Semaphore(o.providerConcurrency);
      perProvider.set(providerKey, provider);
    }
    return provider.run(() => slots.run(task));
  };

  async function refreshBatch(claims: Claim[]): Promise<void> {
    let outcomes: Map<string, RefreshOutcome> | undefined;
    try {
      outcomes = await c.tokens.refreshDue(claims, {
        owner: o.owner,
        minTtlSeconds: c.config.refreshWindowSeconds,
        actor: { type: 'system', id: 'refresher' },
        limit,
        ...(o.signal ? { signal: o.signal } : {}),
      });
    } catch (error) {
      // Provider failures come back as outcomes (and are logged there): this is the database.
      report.errors += claims.length;
      c.logger.error(
        { connections: claims.length, class: (error as Error).name, err: (error as Error).message },
        'refresher could not refresh a batch',
      );
      return;
    }
    const giveBack: string[] = [];
    for (const { id } of claims) {
      const outcome = outcomes.get(id);
      if (!outcome) {
        report.errors++;
        continue;
      }
      report[outcome.kind]++;
      // A refreshed connection's claim went back with its write.
      if (outcome.kind !== 'refreshed') giveBack.push(id);
    }
    await releaseClaims(pool, o.owner, giveBack).catch(() => undefined);
  }

  try {
    while (!o.signal?.aborted && Date.now() - started < o.budgetMs) {
      // Claim only what can start soon, so claims do not lapse while waiting here.
      while (pending.size >= inFlight) await Promise.race(pending);
      const now = c.clock.now();
      const claims = await claimDue(
        pool,
        o.owner,
        now,
        new Date(now.getTime() + o.leaseMs),
        o.batchSize,
      );
      if (claims.length === 0) break;
      report.claimed += claims.length;
      const task = refreshBatch(claims).finally(() => pending.delete(task));
      pending.add(task);
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

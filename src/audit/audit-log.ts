import type pg from 'pg';
import type { Logger } from '../observability/logger.js';
import { appendChained } from './chain.js';

/** Where a request-driven entry came from; background work has none. */
export interface AuditOrigin {
  /** The request's `X-Request-Id` (given or generated). */
  requestId: string;
  /** The client IP, behind `TRUST_PROXY` hops of reverse proxies. */
  clientIp: string;
}

export interface AuditEntry {
  actorType: 'service' | 'admin' | 'system' | 'user';
  actorId: string | null;
  /** e.g. `token.read`, `connection.refresh`, `connection.revoke`, `connection.create`. */
  action: string;
  connectionId: string | null;
  providerKey: string | null;
  /** `success`, or an error code / class. */
  outcome: string;
  detail?: Record<string, string | number | boolean | null>;
  at?: Date;
  origin?: AuditOrigin | undefined;
}

interface Repeat {
  entry: AuditEntry;
  count: number;
  lastAt: number;
}

/** Whether two entries of the same connection differ in nothing but their time. */
const isRepeat = (a: AuditEntry, b: AuditEntry) =>
  a.actorType === b.actorType &&
  a.actorId === b.actorId &&
  a.action === b.action &&
  a.providerKey === b.providerKey &&
  a.outcome === b.outcome &&
  a.origin?.clientIp === b.origin?.clientIp;

const FLUSH_INTERVAL_MS = 250;
/** How long identical entries are counted into one row before it is written. */
const REPEAT_WINDOW_MS = 1_000;
/** Distinct entries counted at once; past it the window closes early (bounds memory). */
const MAX_REPEATED = 20_000;
const MAX_BATCH = 500;
/** Past this many unwritten entries (database down) the oldest are dropped and counted. */
export const MAX_BUFFER = 50_000;
/** A write still running after this long counts as failing (fail-closed mode). */
const STUCK_WRITE_MS = 2_000;

/**
 * Audit trail writer. Entries are buffered in memory and appended to the hash chain
 * (chain.ts) in one short transaction every 250 ms (or 500 entries), keeping the token
 * read path free of a synchronous write.
 * Identical entries recorded now without detail (the same service reading the same
 * connection from the same client IP with the same outcome) within one 1-s window become
 * one row stamped with the first, carrying the first request's id, with `detail.count`
 * and `detail.last_at`: a hot read path writes a row per caller and connection per
 * second, not per request (docs/PERFORMANCE.md).
 * A crash loses the entries not yet written: at most the last ~1 s, or everything
 * buffered while the database was unavailable (at most {@link MAX_BUFFER}; past that the
 * oldest are dropped and counted in the log). With `failClosed` (`AUDIT_FAIL_CLOSED`),
 * {@link AuditLog.refusing} tells token reads to answer 503 while writes fail, so nothing
 * is served that the trail cannot record. `stop()` flushes on graceful shutdown, and
 * `flush()` writes everything at once (the audit API calls it before reading).
 *
 * @example
 * audit.record({ actorType: 'service', actorId: svc.id, action: 'token.read', connectionId, providerKey, outcome: 'success', origin });
 */
export function createAuditLog(deps: { pool: pg.Pool; logger: Logger; failClosed?: boolean }) {
  let buffer: AuditEntry[] = [];
  /**
   * Entries without detail in the current window, oldest first, found by connection and
   * then by comparing the other fields: a key string per read (concatenated, then hashed)
   * cost more than the lookup itself (docs/PERFORMANCE.md).
   */
  let repeated: Repeat[] = [];
  let repeatedByConnection = new Map<string | null, Repeat[]>();
  let windowOpenedAt = Date.now();
  let dropped = 0;
  /** Set by a failed write, cleared by a successful one. */
  let failing = false;
  let writeStartedAt: number | undefined;

  /** Moves the window's coalesced entries into the buffer, oldest first. */
  function closeWindow(): void {
    windowOpenedAt = Date.now();
    if (repeated.length === 0) return;
    for (const { entry, count, lastAt } of repeated) {
      const last_at = new Date(lastAt).toISOString();
      buffer.push(count === 1 ? entry : { ...entry, detail: { count, last_at } });
    }
    repeated = [];
    repeatedByConnection = new Map();
  }
  let flushing: Promise<void> | undefined;

  const writeBatch = (batch: AuditEntry[]) =>
    appendChained(
      deps.pool,
      batch.map((e) => ({
        at: e.at ?? new Date(),
        actorType: e.actorType,
        actorId: e.actorId,
        action: e.action,
        connectionId: e.connectionId,
        providerKey: e.providerKey,
        outcome: e.outcome,
        detail: e.detail ?? {},
        requestId: e.origin?.requestId ?? null,
        clientIp: e.origin?.clientIp ?? null,
      })),
    );

  /** Writes the buffer; `closing` first moves the counted entries into it. */
  async function write(closing: boolean): Promise<void> {
    // A periodic write leaves it to the one running; a flush waits for it, then writes.
    if (flushing && !closing) return;
    while (flushing) await flushing;
    if (closing) closeWindow();
    flushing = (async () => {
      while (buffer.length > 0) {
        // Taken out before the write: reads keep appending to `buffer` meanwhile.
        const batch = buffer.length <= MAX_BATCH ? buffer : buffer.slice(0, MAX_BATCH);
        buffer = batch === buffer ? [] : buffer.slice(batch.length);
        writeStartedAt = Date.now();
        try {
          await writeBatch(batch);
          failing = false;
        } catch (error) {
          failing = true;
          buffer = batch.concat(buffer);
          deps.logger.warn(
            { err: (error as Error).message, pending: buffer.length },
            'audit write failed; will retry',
          );
          return;
        } finally {
          writeStartedAt = undefined;
        }
      }
      if (dropped > 0) {
        deps.logger.error({ dropped }, 'audit entries dropped while the database was unavailable');
        dropped = 0;
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  const flush = () => write(true);
  const timer = setInterval(
    () => void write(Date.now() - windowOpenedAt >= REPEAT_WINDOW_MS),
    FLUSH_INTERVAL_MS,
  );
  timer.unref();

  return {
    record(entry: AuditEntry): void {
      if (entry.detail === undefined && entry.at === undefined) {
        const now = Date.now();
        const same = repeatedByConnection.get(entry.connectionId);
        const seen = same?.find((r) => isRepeat(r.entry, entry));
        if (seen) {
          seen.count++;
          seen.lastAt = now;
          return;
        }
        const made: Repeat = { entry: { ...entry, at: new Date(now) }, count: 1, lastAt: now };
        repeated.push(made);
        if (same) same.push(made);
        else repeatedByConnection.set(entry.connectionId, [made]);
        if (repeated.length >= MAX_REPEATED) void flush();
        return;
      }
      buffer.push(entry.at ? entry : { ...entry, at: new Date() });
      // Oldest dropped a batch at a time: shifting a 50,000-entry array per read would be O(n).
      if (buffer.length > MAX_BUFFER + MAX_BATCH) {
        const excess = buffer.length - MAX_BUFFER;
        buffer.splice(0, excess);
        dropped += excess;
      }
      if (buffer.length >= MAX_BATCH) void write(false);
    },
    /**
     * Whether token reads must be refused now: only with `failClosed`, while the last
     * write failed or one has been running for over 2 s (a stalled database).
     */
    refusing(): boolean {
      if (!deps.failClosed) return false;
      return (
        failing || (writeStartedAt !== undefined && Date.now() - writeStartedAt > STUCK_WRITE_MS)
      );
    },
    /** Writes everything buffered now (tests, shutdown). */
    flush,
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

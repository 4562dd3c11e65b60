import type pg from 'pg';
import type { Logger } from '../observability/logger.js';

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
}

const FLUSH_INTERVAL_MS = 250;
/** How long identical entries are counted into one row before it is written. */
const REPEAT_WINDOW_MS = 1_000;
/** Distinct entries counted at once; past it the window closes early (bounds memory). */
const MAX_REPEATED = 20_000;
const MAX_BATCH = 500;
/** Past this many unwritten entries (database down) the oldest are dropped and counted. */
const MAX_BUFFER = 50_000;

/**
 * Audit trail writer. Entries are buffered in memory and written in one multi-row INSERT
 * every 250 ms (or 500 entries), keeping the token read path free of a synchronous write.
 * Identical entries recorded now without detail (the same service reading the same
 * connection with the same outcome) within one 1-s window become one row stamped with the
 * first, with `detail.count` and `detail.last_at`: a hot read path writes a row per caller
 * and connection per second, not per request (at 1,000 connections read 6,000 times a
 * second, a 250-ms window still wrote ~3,000 rows a second: docs/PERFORMANCE.md).
 * A crash loses at most the last ~1 s of entries; `stop()` flushes on graceful shutdown,
 * and `flush()` writes everything at once (the audit API calls it before reading).
 *
 * @example
 * audit.record({ actorType: 'service', actorId: svc.id, action: 'token.read', connectionId, providerKey, outcome: 'success' });
 */
export function createAuditLog(deps: { pool: pg.Pool; logger: Logger }) {
  let buffer: AuditEntry[] = [];
  /** Entries without detail in the current window, by everything but their time. */
  let repeated = new Map<string, { entry: AuditEntry; count: number; lastAt: number }>();
  let windowOpenedAt = Date.now();
  let dropped = 0;

  /** Moves the window's coalesced entries into the buffer, oldest first. */
  function closeWindow(): void {
    windowOpenedAt = Date.now();
    if (repeated.size === 0) return;
    for (const { entry, count, lastAt } of repeated.values()) {
      const last_at = new Date(lastAt).toISOString();
      buffer.push(count === 1 ? entry : { ...entry, detail: { count, last_at } });
    }
    repeated = new Map();
  }
  let flushing: Promise<void> | undefined;

  /** One INSERT … SELECT unnest() of eight array parameters, however many rows (cheap to parse). */
  async function writeBatch(batch: AuditEntry[]): Promise<void> {
    await deps.pool.query({
      name: 'audit-insert',
      text: `INSERT INTO audit_events (at, actor_type, actor_id, action, connection_id, provider_key, outcome, detail)
        SELECT at, actor_type, actor_id, action, connection_id, provider_key, outcome, detail::jsonb
        FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
          AS t(at, actor_type, actor_id, action, connection_id, provider_key, outcome, detail)`,
      values: [
        batch.map((e) => e.at ?? new Date()),
        batch.map((e) => e.actorType),
        batch.map((e) => e.actorId),
        batch.map((e) => e.action),
        batch.map((e) => e.connectionId),
        batch.map((e) => e.providerKey),
        batch.map((e) => e.outcome),
        batch.map((e) => JSON.stringify(e.detail ?? {})),
      ],
    });
  }

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
        try {
          await writeBatch(batch);
        } catch (error) {
          buffer = batch.concat(buffer);
          deps.logger.warn(
            { err: (error as Error).message, pending: buffer.length },
            'audit write failed; will retry',
          );
          return;
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
        const key = `${entry.actorType}\u0000${entry.actorId}\u0000${entry.action}\u0000${entry.connectionId}\u0000${entry.providerKey}\u0000${entry.outcome}`;
        const now = Date.now();
        const seen = repeated.get(key);
        if (seen) {
          seen.count++;
          seen.lastAt = now;
          return;
        }
        repeated.set(key, { entry: { ...entry, at: new Date(now) }, count: 1, lastAt: now });
        if (repeated.size >= MAX_REPEATED) void flush();
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
    /** Writes everything buffered now (tests, shutdown). */
    flush,
    async stop(): Promise<void> {
      clearInterval(timer);
      await flush();
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;

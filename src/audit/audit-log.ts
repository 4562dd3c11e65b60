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
const MAX_BATCH = 500;
/** Past this many unwritten entries (database down) the oldest are dropped and counted. */
const MAX_BUFFER = 50_000;

/**
 * Audit trail writer. Entries are buffered in memory and written in one multi-row INSERT
 * every 250 ms (or 500 entries), keeping the token read path free of a synchronous write.
 * A crash loses at most the last ~250 ms of entries; `stop()` flushes on graceful shutdown.
 *
 * @example
 * audit.record({ actorType: 'service', actorId: svc.id, action: 'token.read', connectionId, providerKey, outcome: 'success' });
 */
export function createAuditLog(deps: { pool: pg.Pool; logger: Logger }) {
  let buffer: AuditEntry[] = [];
  let dropped = 0;
  let flushing: Promise<void> | undefined;

  async function writeBatch(batch: AuditEntry[]): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.map((e, i) => {
      values.push(
        e.at ?? new Date(),
        e.actorType,
        e.actorId,
        e.action,
        e.connectionId,
        e.providerKey,
        e.outcome,
        JSON.stringify(e.detail ?? {}),
      );
      const b = i * 8;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7}, $${b + 8}::jsonb)`;
    });
    await deps.pool.query(
      `INSERT INTO audit_events (at, actor_type, actor_id, action, connection_id, provider_key, outcome, detail) VALUES ${rows.join(', ')}`,
      values,
    );
  }

  async function flush(): Promise<void> {
    if (flushing) return flushing;
    flushing = (async () => {
      while (buffer.length > 0) {
        const batch = buffer.slice(0, MAX_BATCH);
        try {
          await writeBatch(batch);
          buffer = buffer.slice(batch.length);
        } catch (error) {
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

  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);
  timer.unref();

  return {
    record(entry: AuditEntry): void {
      buffer.push(entry.at ? entry : { ...entry, at: new Date() });
      if (buffer.length > MAX_BUFFER) {
        buffer.shift();
        dropped++;
      }
      if (buffer.length >= MAX_BATCH) void flush();
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

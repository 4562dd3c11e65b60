import type pg from 'pg';
import { listDataKeys } from './data-keys.js';
import { ENCRYPTED_TABLES, type EncryptedTable } from './encrypted-columns.js';
import { dekIdOf, type Keyring } from './keyring.js';

export interface RotationReport {
  /** DEKs re-wrapped under the current KEK. */
  rewrapped: number;
  /** The DEK everything was moved under (`--new-dek`), or undefined. */
  target: string | undefined;
  /** Rows re-encrypted, by table. */
  rotated: Record<string, number>;
  /** Rows still to re-encrypt after the run, by table (0 when complete). */
  remaining: Record<string, number>;
  /** DEKs destroyed because nothing is encrypted under them any more. */
  retired: string[];
}

/** What a long rotation reports as it goes (the CLI draws it). */
export type RotationProgress =
  | { phase: 'rewrap'; done: number; total: number }
  | { phase: 'wait'; what: string; untilMs: number }
  | { phase: 'reencrypt'; table: string; done: number; total: number }
  | { phase: 'verify' };

export interface RotationOptions {
  batchSize?: number;
  /** Start a new DEK, move every row under it and destroy the older DEKs. */
  newDek?: boolean;
  /** TOKEN_KEY_LEASE_SECONDS in ms: how long replicas may still seal under an older DEK. */
  leaseMs: number;
  onProgress?: (p: RotationProgress) => void;
}

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Rows that are not under DEK `$1` or a newer one (`$1` = 0: rows from before data keys). */
const stale = (t: EncryptedTable) =>
  `${q(t.keyIdColumn)} IS NOT NULL AND NOT (${q(t.keyIdColumn)} ~ '^d[0-9]+:2$'
     AND substring(${q(t.keyIdColumn)} from '^d([0-9]+):')::int >= $1)`;

/**
 * Rotation without downtime, resumable after kill -9 (every batch commits on its own, and a
 * rerun picks up the unfinished `--new-dek` target):
 * 1. DEKs wrapped by another KEK than the current one are re-wrapped (a KEK rotation is this);
 * 2. rows from before data keys are re-encrypted under the current DEK;
 * 3. with `newDek`: a new DEK is made, usable once every replica has loaded it (one lease);
 *    every row under an older DEK moves to it; after a further lease no replica can still
 *    seal under an older DEK, a last pass and a check of every ciphertext header follow, and
 *    the older DEKs are destroyed — a ciphertext under them is refused from then on.
 * Rows are taken `FOR UPDATE SKIP LOCKED` in small batches, so serving replicas never wait long
 * and reads never stop.
 *
 * @example
 * const report = await rotateEncryptionKeys(db.pool, keyring, { newDek: true, leaseMs: 60_000 });
 */
export async function rotateEncryptionKeys(
  pool: pg.Pool,
  keyring: Keyring,
  options: RotationOptions,
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 200;
  const progress = options.onProgress ?? (() => undefined);
  const report: RotationReport = {
    rewrapped: await keyring.rewrapDataKeys((done, total) =>
      progress({ phase: 'rewrap', done, total }),
    ),
    target: undefined,
    rotated: {},
    remaining: {},
    retired: [],
  };
  let target = 0;
  if (options.newDek) {
    target = await rotationTarget(pool, keyring, options.leaseMs);
    report.target = `d${target}:2`;
    await waitForDatabaseTime(
      pool,
      target,
      0,
      'the new data key is loaded by every replica',
      progress,
    );
    await keyring.switchTo(target);
  }
  const pass = async () => {
    for (const t of ENCRYPTED_TABLES) {
      const total = await countStale(pool, t, target);
      let done = 0;
      progress({ phase: 'reencrypt', table: t.table, done, total });
      for (;;) {
        const n = await rotateBatch(pool, keyring, t, target, batchSize);
        if (n === 0) break;
        done += n;
        progress({ phase: 'reencrypt', table: t.table, done, total: Math.max(total, done) });
      }
      report.rotated[t.table] = (report.rotated[t.table] ?? 0) + done;
    }
  };
  await pass();
  if (options.newDek) {
    await waitForDatabaseTime(
      pool,
      target,
      options.leaseMs + 1000,
      'replicas stop sealing under older data keys',
      progress,
    );
    await pass();
    progress({ phase: 'verify' });
    if ((await countHeadersBelow(pool, target)) === 0) {
      const { rows } = await pool.query<{ id: number }>(
        `UPDATE data_keys SET retired_at = now(), wrapped = NULL
          WHERE id < $1 AND retired_at IS NULL RETURNING id`,
        [target],
      );
      report.retired = rows.map((r) => `d${r.id}:2`).sort();
      await keyring.refresh();
    }
  }
  for (const t of ENCRYPTED_TABLES) {
    report.remaining[t.table] =
      (report.remaining[t.table] ?? 0) + (await countStale(pool, t, target));
  }
  return report;
}

/** The unfinished `--new-dek` target to resume, or a new DEK. */
async function rotationTarget(pool: pg.Pool, keyring: Keyring, leaseMs: number): Promise<number> {
  const keys = await listDataKeys(pool);
  const live = keys.filter((k) => !k.retiredAt);
  const last = [...live].reverse().find((k) => k.origin === 'rotate');
  if (last && live.some((k) => k.id < last.id)) return last.id;
  const id = await keyring.createRotationKey(leaseMs);
  await keyring.refresh();
  return id;
}

async function waitForDatabaseTime(
  pool: pg.Pool,
  dekId: number,
  afterUsableMs: number,
  what: string,
  progress: (p: RotationProgress) => void,
): Promise<void> {
  const { rows } = await pool.query<{ wait: number }>(
    `SELECT greatest(0, extract(epoch from (usable_at - now())) * 1000 + $2)::float8 AS wait
       FROM data_keys WHERE id = $1`,
    [dekId, afterUsableMs],
  );
  const wait = Number(rows[0]?.wait ?? 0);
  if (wait <= 0) return;
  progress({ phase: 'wait', what, untilMs: Date.now() + wait });
  await sleep(wait);
}

async function countStale(pool: pg.Pool, t: EncryptedTable, target: number): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM ${q(t.table)} WHERE ${stale(t)}`,
    [target],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Ciphertexts whose own header names a DEK below `target` or the pre-envelope format. */
async function countHeadersBelow(pool: pg.Pool, target: number): Promise<number> {
  let n = 0;
  for (const t of ENCRYPTED_TABLES) {
    const below = t.fields.map(
      (f) => `(${q(f)} IS NOT NULL AND (get_byte(${q(f)}, 0) <> 2 OR
        (get_byte(${q(f)}, 1)::bigint << 24 | get_byte(${q(f)}, 2) << 16
         | get_byte(${q(f)}, 3) << 8 | get_byte(${q(f)}, 4)) < $1))`,
    );
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM ${q(t.table)} WHERE ${below.join(' OR ')}`,
      [target],
    );
    n += Number(rows[0]?.n ?? 0);
  }
  return n;
}

async function rotateBatch(
  pool: pg.Pool,
  keyring: Keyring,
  t: EncryptedTable,
  target: number,
  limit: number,
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const cols = [t.idColumn, t.keyIdColumn, ...t.fields].map(q).join(', ');
    const { rows } = await client.query<Record<string, Buffer | string | null>>(
      `SELECT ${cols} FROM ${q(t.table)} WHERE ${stale(t)}
        ORDER BY ${q(t.idColumn)} LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [target, limit],
    );
    await keyring.reserve(rows.length * t.fields.length);
    for (const row of rows) {
      const id = String(row[t.idColumn]);
      const kid = String(row[t.keyIdColumn]);
      const plain = await Promise.all(
        t.fields.map(async (field) => {
          const sealed = row[field];
          if (!(sealed instanceof Buffer)) return null;
          return keyring.decryptLoading(sealed, kid, { table: t.table, id, field });
        }),
      );
      // Sealed and labelled in one synchronous step, so key id and ciphertexts agree.
      const values = t.fields.map((field, i) => {
        const p = plain[i];
        return p === null || p === undefined
          ? null
          : keyring.encrypt(p, { table: t.table, id, field });
      });
      const kidNow = keyring.currentKid;
      if ((dekIdOf(kidNow) ?? 0) < target) {
        throw new Error(`the keyring still seals under ${kidNow}, below the target d${target}:2`);
      }
      const sets = t.fields.map((f, i) => `${q(f)} = $${i + 3}`).join(', ');
      await client.query(
        `UPDATE ${q(t.table)} SET ${q(t.keyIdColumn)} = $2, ${sets} WHERE ${q(t.idColumn)} = $1`,
        [id, kidNow, ...values],
      );
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

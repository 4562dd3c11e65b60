import type pg from 'pg';
import type { Keyring } from './keyring.js';
import { ENCRYPTED_TABLES, type EncryptedTable } from './encrypted-columns.js';

export interface RotationReport {
  /** Rows re-encrypted, by table. */
  rotated: Record<string, number>;
  /** Rows still under another key after the run, by table (0 when complete). */
  remaining: Record<string, number>;
}

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * Re-encrypts every secret under the keyring's current key, a small batch per
 * transaction with row locks, so it is resumable (run it again after a stop) and safe
 * while brokers serve: a concurrent writer either waits for the batch or writes under
 * the current key itself.
 *
 * @example
 * const report = await rotateEncryptionKeys(db.pool, keyring);
 */
export async function rotateEncryptionKeys(
  pool: pg.Pool,
  keyring: Keyring,
  options: { batchSize?: number } = {},
): Promise<RotationReport> {
  const batchSize = options.batchSize ?? 200;
  const report: RotationReport = { rotated: {}, remaining: {} };
  for (const t of ENCRYPTED_TABLES) {
    let total = 0;
    for (;;) {
      const n = await rotateBatch(pool, keyring, t, batchSize);
      total += n;
      if (n < batchSize) break;
    }
    report.rotated[t.table] = total;
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${q(t.table)} WHERE ${q(t.keyIdColumn)} IS NOT NULL AND ${q(t.keyIdColumn)} <> $1`,
      [keyring.currentKid],
    );
    report.remaining[t.table] = Number(rows[0]?.n ?? 0);
  }
  return report;
}

async function rotateBatch(
  pool: pg.Pool,
  keyring: Keyring,
  t: EncryptedTable,
  limit: number,
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const cols = [t.idColumn, t.keyIdColumn, ...t.fields].map(q).join(', ');
    const { rows } = await client.query<Record<string, Buffer | string | null>>(
      `SELECT ${cols} FROM ${q(t.table)}
        WHERE ${q(t.keyIdColumn)} IS NOT NULL AND ${q(t.keyIdColumn)} <> $1
        ORDER BY ${q(t.idColumn)} LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [keyring.currentKid, limit],
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
      const values = t.fields.map((field, i) => {
        const p = plain[i];
        return p === null || p === undefined
          ? null
          : keyring.encrypt(p, { table: t.table, id, field });
      });
      const sets = t.fields.map((f, i) => `${q(f)} = $${i + 3}`).join(', ');
      await client.query(
        `UPDATE ${q(t.table)} SET ${q(t.keyIdColumn)} = $2, ${sets} WHERE ${q(t.idColumn)} = $1`,
        [id, keyring.currentKid, ...values],
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

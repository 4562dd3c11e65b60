import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { KeyEncryptionKey } from './kek.js';

/** A `data_keys` row as the vault reads it. */
export interface DataKeyRow {
  id: number;
  kekKind: string;
  kekId: string;
  /** Null once retired (destroyed). */
  wrapped: Buffer | null;
  nonceNext: bigint;
  nonceLimit: bigint;
  origin: 'auto' | 'rotate';
  createdAt: Date;
  usableAt: Date;
  retiredAt: Date | null;
}

/** A range of nonce counters of one DEK, claimed by this process alone. */
export interface NonceClaim {
  dekId: number;
  start: bigint;
  end: bigint;
  /** The DEK's counter after the claim, i.e. its uses so far across all replicas. */
  used: bigint;
  limit: bigint;
}

const COLUMNS = `id, kek_kind, kek_id, wrapped, nonce_next::text, nonce_limit::text, origin,
  created_at, usable_at, retired_at`;

interface RawRow {
  id: number;
  kek_kind: string;
  kek_id: string;
  wrapped: Buffer | null;
  nonce_next: string;
  nonce_limit: string;
  origin: 'auto' | 'rotate';
  created_at: Date;
  usable_at: Date;
  retired_at: Date | null;
}

const toRow = (r: RawRow): DataKeyRow => ({
  id: r.id,
  kekKind: r.kek_kind,
  kekId: r.kek_id,
  wrapped: r.wrapped,
  nonceNext: BigInt(r.nonce_next),
  nonceLimit: BigInt(r.nonce_limit),
  origin: r.origin,
  createdAt: r.created_at,
  usableAt: r.usable_at,
  retiredAt: r.retired_at,
});

/** Binds a wrapped DEK to its row, so wrapped keys cannot be swapped between rows. */
export const wrapAad = (id: number) => Buffer.from(`token-broker data key ${id}`);

/** Every DEK, oldest first (a small table: one row per key ever made). */
export async function listDataKeys(pool: pg.Pool | pg.PoolClient): Promise<DataKeyRow[]> {
  const { rows } = await pool.query<RawRow>(`SELECT ${COLUMNS} FROM data_keys ORDER BY id`);
  return rows.map(toRow);
}

/**
 * Claims `count` nonces of the newest usable DEK that has room for them. The row lock of the
 * UPDATE serialises replicas, so two claims never overlap.
 */
export async function claimNonces(pool: pg.Pool, count: number): Promise<NonceClaim | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const { rows } = await pool.query<{ id: number; next: string; limit: string }>(
      `UPDATE data_keys SET nonce_next = nonce_next + $1
        WHERE id = (SELECT id FROM data_keys
                     WHERE retired_at IS NULL AND usable_at <= now() AND nonce_next + $1 <= nonce_limit
                     ORDER BY id DESC LIMIT 1)
          AND retired_at IS NULL AND nonce_next + $1 <= nonce_limit
        RETURNING id, nonce_next::text AS next, nonce_limit::text AS limit`,
      [count],
    );
    const row = rows[0];
    if (row) {
      const end = BigInt(row.next);
      return {
        dekId: row.id,
        start: end - BigInt(count),
        end,
        used: end,
        limit: BigInt(row.limit),
      };
    }
    // Either no DEK has room, or the chosen one filled up between the subquery and the lock.
    const { rows: any } = await pool.query(
      `SELECT 1 FROM data_keys WHERE retired_at IS NULL AND usable_at <= now() AND nonce_next + $1 <= nonce_limit`,
      [count],
    );
    if (any.length === 0) return undefined;
  }
  return undefined;
}

export type CreateReason =
  /** No usable DEK has room: a new one is usable at once (nothing else can be encrypting). */
  | { kind: 'none-usable' }
  /** DEK `after` is half used: its successor is usable after one lease, once all replicas know it. */
  | { kind: 'successor'; after: number; leaseMs: number }
  /** `keys rotate --new-dek`: always a new DEK, usable after one lease. */
  | { kind: 'rotate'; leaseMs: number };

/**
 * Creates a DEK under `kek` unless another process already made the one this reason asks
 * for (decided under an advisory lock). Returns the new or existing DEK's id, or undefined
 * when a successor exists already.
 */
export async function createDataKey(
  pool: pg.Pool,
  kek: KeyEncryptionKey,
  limit: bigint,
  reason: CreateReason,
): Promise<number | undefined> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('token-broker data_keys'))`);
    if (reason.kind === 'none-usable') {
      const { rows } = await client.query<{ id: number }>(
        `SELECT id FROM data_keys WHERE retired_at IS NULL AND usable_at <= now()
            AND nonce_next < nonce_limit ORDER BY id DESC LIMIT 1`,
      );
      if (rows[0]) {
        await client.query('COMMIT');
        return rows[0].id;
      }
    } else if (reason.kind === 'successor') {
      const { rows } = await client.query(
        `SELECT 1 FROM data_keys WHERE id > $1 AND retired_at IS NULL`,
        [reason.after],
      );
      if (rows.length > 0) {
        await client.query('COMMIT');
        return undefined;
      }
    }
    const { rows: ids } = await client.query<{ id: number }>(
      `SELECT nextval(pg_get_serial_sequence('data_keys', 'id'))::int AS id`,
    );
    const id = (ids[0] as { id: number }).id;
    const dek = randomBytes(32);
    const { kekId, wrapped } = await kek.wrap(dek, wrapAad(id));
    dek.fill(0);
    const leaseMs = reason.kind === 'none-usable' ? 0 : reason.leaseMs;
    await client.query(
      `INSERT INTO data_keys (id, kek_kind, kek_id, wrapped, nonce_limit, origin, usable_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7::float8 / 1000))`,
      [
        id,
        kek.kind,
        kekId,
        wrapped,
        limit.toString(),
        reason.kind === 'rotate' ? 'rotate' : 'auto',
        leaseMs,
      ],
    );
    await client.query('COMMIT');
    return id;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

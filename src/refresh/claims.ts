import type pg from 'pg';

/** A connection claimed by one replica's sweep. */
export interface Claim {
  id: string;
  providerKey: string;
}

const CLAIM_SQL = `UPDATE connections c SET lease_owner = $1, lease_expires_at = $2
  FROM (SELECT id FROM connections
         WHERE status = 'active' AND next_refresh_at <= $3
           AND (lease_expires_at IS NULL OR lease_expires_at <= $3)
           AND NOT EXISTS (SELECT 1 FROM providers p WHERE p.key = connections.provider_key
                             AND p.status = 'misconfigured' AND p.probe_at > $3)
         ORDER BY next_refresh_at LIMIT $4
         FOR UPDATE SKIP LOCKED) due
  WHERE c.id = due.id
  RETURNING c.id, c.provider_key`;

/**
 * Claims up to `limit` due connections for `owner` until `leaseUntil`: active, due
 * (`next_refresh_at <= now`), not leased by a live claim, and not of a misconfigured
 * provider before its next probe. `SKIP LOCKED` lets replicas
 * claim side by side without waiting on each other or on a refresh holding a row; a
 * crashed replica's claims become claimable again once their lease has lapsed.
 *
 * @example
 * const claims = await claimDue(pool, 'host:123:ab', now, new Date(+now + 120_000), 32);
 */
export async function claimDue(
  pool: pg.Pool,
  owner: string,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<Claim[]> {
  const { rows } = await pool.query<{ id: string; provider_key: string }>({
    name: 'refresh-claim',
    text: CLAIM_SQL,
    values: [owner, leaseUntil, now, limit],
  });
  return rows.map((r) => ({ id: r.id, providerKey: r.provider_key }));
}

/** Gives back claims (only those still ours: a lapsed lease may have been taken over). */
export async function releaseClaims(pool: pg.Pool, owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await pool.query({
    name: 'refresh-release',
    text: `UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL
           WHERE id = ANY($1::text[]) AND lease_owner = $2`,
    values: [ids, owner],
  });
}

/** Active connections whose refresh is due and not done yet (the backlog gauge). */
export async function countDue(pool: pg.Pool, now: Date): Promise<number> {
  const { rows } = await pool.query<{ n: string }>({
    name: 'refresh-backlog',
    text: `SELECT count(*) AS n FROM connections WHERE status = 'active' AND next_refresh_at <= $1`,
    values: [now],
  });
  return Number(rows[0]?.n ?? 0);
}

import type pg from 'pg';
import { newId } from '../ids.js';

/** Events fanned out per dispatcher transaction. */
const DISPATCH_BATCH = 100;

/** A delivery claimed by this process, with what it takes to send it. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  /** Attempt number of this claim (1 for the first); with `leaseExpiresAt`, the fence. */
  attempts: number;
  leaseExpiresAt: Date;
  createdAt: Date;
  payload: unknown;
  /** The encrypted body of a sealed event (enqueueSealedEvent), under `eventKeyId`. */
  sealedPayload: Uint8Array | null;
  eventKeyId: string | null;
  url: string;
  keyId: string;
  secret: Uint8Array;
  previousSecret: Uint8Array | null;
  previousSecretExpiresAt: Date | null;
}

/** The outcome of one attempt, as recorded on the delivery row. */
export interface AttemptRecord {
  status: 'pending' | 'delivered' | 'failed';
  nextAttemptAt: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
}

/**
 * Fans undispatched events into one delivery per enabled endpoint whose filter matches
 * (an empty filter matches every type). Idempotent through the unique (event, endpoint)
 * pair, and safe beside other replicas: events are taken with SKIP LOCKED.
 *
 * @returns how many events were dispatched.
 */
export async function dispatchEvents(pool: pg.Pool, now: Date): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const events = await client.query<{ id: string; type: string }>(
      `SELECT id, type FROM webhook_events WHERE dispatched_at IS NULL
       ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [DISPATCH_BATCH],
    );
    if (events.rows.length > 0) {
      const endpoints = await client.query<{ id: string; events: string[] | null }>(
        'SELECT id, events FROM webhook_endpoints WHERE enabled',
      );
      const ids: string[] = [];
      const eventIds: string[] = [];
      const endpointIds: string[] = [];
      for (const event of events.rows) {
        for (const endpoint of endpoints.rows) {
          const filter = endpoint.events ?? [];
          if (filter.length > 0 && !filter.includes(event.type)) continue;
          ids.push(newId('whd'));
          eventIds.push(event.id);
          endpointIds.push(endpoint.id);
        }
      }
      await client.query(
        `INSERT INTO webhook_deliveries (id, event_id, endpoint_id, next_attempt_at, created_at, updated_at)
         SELECT d.id, d.event_id, d.endpoint_id, $4, $4, $4
         FROM unnest($1::text[], $2::text[], $3::text[]) AS d(id, event_id, endpoint_id)
         ON CONFLICT (event_id, endpoint_id) DO NOTHING`,
        [ids, eventIds, endpointIds, now],
      );
      await client.query('UPDATE webhook_events SET dispatched_at = $2 WHERE id = ANY($1)', [
        events.rows.map((e) => e.id),
        now,
      ]);
    }
    await client.query('COMMIT');
    return events.rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Claims up to `limit` due deliveries of enabled endpoints with a lease: rows are picked
 * with `FOR UPDATE SKIP LOCKED` and leased until `now + leaseMs`, so other replicas skip
 * them, and a crashed claimer's rows become due again when the lease runs out.
 */
export async function claimDeliveries(
  pool: pg.Pool,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const { rows } = await pool.query<ClaimedDelivery>(
    `WITH due AS (
       SELECT d.id FROM webhook_deliveries d
       JOIN webhook_endpoints e ON e.id = d.endpoint_id AND e.enabled
       WHERE d.status = 'pending' AND d.next_attempt_at <= $1
         AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $1)
       ORDER BY d.next_attempt_at
       LIMIT $3
       FOR UPDATE OF d SKIP LOCKED
     )
     UPDATE webhook_deliveries d
     SET lease_expires_at = $2, attempts = d.attempts + 1, updated_at = $1
     FROM due, webhook_events ev, webhook_endpoints ep
     WHERE d.id = due.id AND ev.id = d.event_id AND ep.id = d.endpoint_id
     RETURNING d.id, d.event_id AS "eventId", d.endpoint_id AS "endpointId", d.attempts,
       d.lease_expires_at AS "leaseExpiresAt", d.created_at AS "createdAt", ev.payload,
       ev.sealed_payload AS "sealedPayload", ev.key_id AS "eventKeyId",
       ep.url, ep.key_id AS "keyId", ep.secret, ep.previous_secret AS "previousSecret",
       ep.previous_secret_expires_at AS "previousSecretExpiresAt"`,
    [now, new Date(now.getTime() + leaseMs), limit],
  );
  return rows;
}

const FENCE = 'id = $1 AND attempts = $2 AND lease_expires_at = $3';
const fence = (d: ClaimedDelivery) => [d.id, d.attempts, d.leaseExpiresAt];

/**
 * Writes an attempt's outcome and drops the lease — only while this claim still holds
 * it (a replay or an expired lease re-claimed elsewhere wins).
 *
 * @returns false when the claim was lost and nothing was written.
 */
export async function recordAttempt(
  pool: pg.Pool,
  d: ClaimedDelivery,
  r: AttemptRecord,
  now: Date,
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `UPDATE webhook_deliveries SET status = $4, next_attempt_at = $5, lease_expires_at = NULL,
       last_status_code = $6, last_latency_ms = $7, last_error = $8, last_response = $9,
       updated_at = $10
     WHERE ${FENCE}`,
    [...fence(d), r.status, r.nextAttemptAt, r.statusCode, r.latencyMs, r.error, r.response, now],
  );
  return rowCount === 1;
}

/** Gives a claim back untried (shutdown): due again at once, the attempt not counted. */
export async function releaseClaim(pool: pg.Pool, d: ClaimedDelivery): Promise<void> {
  await pool.query(
    `UPDATE webhook_deliveries SET lease_expires_at = NULL, attempts = attempts - 1 WHERE ${FENCE}`,
    fence(d),
  );
}

/** Tracks an endpoint's health: `failing_since` is set on a failure and cleared on success. */
export async function markEndpoint(
  pool: pg.Pool,
  endpointId: string,
  ok: boolean,
  now: Date,
): Promise<void> {
  await pool.query(
    ok
      ? 'UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL'
      : 'UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL',
    ok ? [endpointId] : [endpointId, now],
  );
}

/**
 * Disables an endpoint after one of its deliveries spent the whole retry schedule while
 * nothing else was delivered to it since that delivery was created.
 *
 * @returns when it was failing since, if this call disabled it.
 */
export async function disableIfDead(
  pool: pg.Pool,
  d: ClaimedDelivery,
  lastError: string,
  now: Date,
): Promise<Date | undefined> {
  const { rows } = await pool.query<{ failing_since: Date }>(
    `UPDATE webhook_endpoints ep SET enabled = false, updated_at = $3,
       disabled_reason = 'failing since ' || to_char(ep.failing_since AT TIME ZONE 'UTC',
         'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '; a delivery exhausted its retries (' || $4 || ')'
     WHERE ep.id = $1 AND ep.enabled AND ep.failing_since IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM webhook_deliveries o WHERE o.endpoint_id = ep.id
         AND o.status = 'delivered' AND o.updated_at >= $2)
     RETURNING ep.failing_since`,
    [d.endpointId, d.createdAt, now, lastError],
  );
  return rows[0]?.failing_since;
}

/** Events not yet fanned out plus deliveries still to be sent. */
export async function backlogSize(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM webhook_events WHERE dispatched_at IS NULL)
          + (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending') AS n`,
  );
  return Number(rows[0]?.n ?? 0);
}

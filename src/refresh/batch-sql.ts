import type pg from 'pg';
import { REFRESH_LOCK_NAMESPACE } from '../connections/token-sets.js';
import type { SealedTokenSet } from '../vault/token-set.js';
import { WEBHOOK_CHANNEL } from '../webhooks/outbox.js';

/** A claimed connection read under its refresh lock, with its (sealed) token set. */
export interface DueRow {
  id: string;
  serviceId: string | null;
  providerKey: string;
  subject: string;
  status: string;
  authType: string;
  scopes: string[];
  connectionConfig: Record<string, string>;
  nextRefreshAt: Date | null;
  lastRefreshedAt: Date | null;
  /** null: the connection has no token set. */
  tokenSet: {
    keyId: string;
    accessToken: Buffer;
    refreshToken: Buffer | null;
    idToken: Buffer | null;
    tokenType: string;
    expiresAt: Date | null;
    version: number;
  } | null;
}

/**
 * Takes the refresh locks of `ids` that nobody holds, as session locks on `client` (the
 * same keys as the read path's `lockConnection`, which waits on them), and returns the ids
 * it got. A held lock means a refresh of that connection is running somewhere: skipped.
 */
export async function tryLock(client: pg.PoolClient, ids: string[]): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>({
    name: 'refresh-batch-lock',
    text: `SELECT id FROM unnest($1::text[]) AS id WHERE pg_try_advisory_lock($2::int, hashtext(id))`,
    values: [ids, REFRESH_LOCK_NAMESPACE],
  });
  return rows.map((r) => r.id);
}

/** Gives back locks taken by {@link tryLock}. */
export async function unlock(client: pg.PoolClient, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await client.query({
    name: 'refresh-batch-unlock',
    text: `SELECT pg_advisory_unlock($2::int, hashtext(id)) FROM unnest($1::text[]) AS id`,
    values: [ids, REFRESH_LOCK_NAMESPACE],
  });
}

interface DueSqlRow {
  id: string;
  service_id: string | null;
  provider_key: string;
  subject: string;
  status: string;
  auth_type: string;
  scopes: string[];
  connection_config: Record<string, string> | null;
  next_refresh_at: Date | null;
  last_refreshed_at: Date | null;
  key_id: string | null;
  access_token: Buffer | null;
  refresh_token: Buffer | null;
  id_token: Buffer | null;
  token_type: string | null;
  expires_at: Date | null;
  version: number | null;
}

/** The connections `ids` with their token sets, read afresh (after {@link tryLock}). */
export async function readDue(client: pg.PoolClient, ids: string[]): Promise<DueRow[]> {
  const { rows } = await client.query<DueSqlRow>({
    name: 'refresh-batch-read',
    text: `SELECT c.id, c.service_id, c.provider_key, c.subject, c.status, c.auth_type, c.scopes,
             c.connection_config, c.next_refresh_at, c.last_refreshed_at, t.key_id, t.access_token,
             t.refresh_token, t.id_token, t.token_type, t.expires_at, t.version
           FROM connections c LEFT JOIN token_sets t ON t.connection_id = c.id
           WHERE c.id = ANY($1::text[])`,
    values: [ids],
  });
  return rows.map((r) => ({
    id: r.id,
    serviceId: r.service_id,
    providerKey: r.provider_key,
    subject: r.subject,
    status: r.status,
    authType: r.auth_type,
    scopes: r.scopes,
    connectionConfig: r.connection_config ?? {},
    nextRefreshAt: r.next_refresh_at,
    lastRefreshedAt: r.last_refreshed_at,
    tokenSet:
      r.key_id !== null && r.access_token !== null && r.version !== null
        ? {
            keyId: r.key_id,
            accessToken: r.access_token,
            refreshToken: r.refresh_token,
            idToken: r.id_token,
            tokenType: r.token_type ?? 'Bearer',
            expiresAt: r.expires_at,
            version: r.version,
          }
        : null,
  }));
}

/** One refresh result to store. */
export interface RefreshedWrite {
  id: string;
  /** The sweep's lease owner: its claim is given back with the write. */
  owner: string;
  /** token_sets.version read under the lock: the write applies only if it is still that. */
  version: number;
  sealed: SealedTokenSet;
  /** The provider's new scopes, or undefined to keep the stored ones. */
  scopes: string[] | undefined;
  nextRefreshAt: Date | null;
  /** The `connection.refreshed` outbox event. */
  eventId: string;
  eventPayload: unknown;
}

const bytes = (b: Uint8Array | null) =>
  b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * Stores many refresh results in one statement (so one commit): each token set (version
 * + 1), its connection's expiry, schedule and error state, its claim given back (if still
 * the sweep's), and its `connection.refreshed` outbox row, with one NOTIFY for the webhook
 * workers. A connection revoked, reconnected or refreshed by someone else since it was read
 * is left alone. Returns the ids written.
 */
export async function writeRefreshedBatch(
  pool: pg.Pool,
  writes: RefreshedWrite[],
  now: Date,
): Promise<Set<string>> {
  const { rows } = await pool.query<{ id: string }>({
    name: 'refresh-batch-write',
    text: `WITH u AS (
        SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[],
                             $7::text[], $8::timestamptz[], $9::text[], $10::timestamptz[], $11::text[], $12::text[], $14::text[])
          AS u(id, version, key_id, access_token, refresh_token, id_token, token_type, expires_at,
               scopes, next_refresh_at, event_id, payload, owner)
      ), t AS (
        UPDATE token_sets t SET key_id = u.key_id, access_token = u.access_token,
            refresh_token = u.refresh_token, id_token = u.id_token, token_type = u.token_type,
            expires_at = u.expires_at, version = t.version + 1, refresh_token_used_at = NULL,
            updated_at = $13
          FROM u, connections c
          WHERE t.connection_id = u.id AND t.version = u.version AND c.id = u.id AND c.status = 'active'
          RETURNING t.connection_id AS id
      ), c AS (
        UPDATE connections c SET expires_at = u.expires_at,
            scopes = COALESCE(string_to_array(u.scopes, ' '), c.scopes), last_refreshed_at = $13,
            next_refresh_at = u.next_refresh_at, refresh_failures = 0, last_error = NULL,
            lease_owner = CASE WHEN c.lease_owner = u.owner THEN NULL ELSE c.lease_owner END,
            lease_expires_at = CASE WHEN c.lease_owner = u.owner THEN NULL ELSE c.lease_expires_at END,
            updated_at = $13
          FROM u JOIN t ON t.id = u.id
          WHERE c.id = u.id
          RETURNING c.id
      ), e AS (
        INSERT INTO webhook_events (id, type, payload, created_at)
          SELECT u.event_id, 'connection.refreshed', u.payload::jsonb, $13 FROM u JOIN t ON t.id = u.id
      )
      SELECT c.id, pg_notify($15, '') FROM c`,
    values: [
      writes.map((w) => w.id),
      writes.map((w) => w.version),
      writes.map((w) => w.sealed.keyId),
      writes.map((w) => bytes(w.sealed.accessToken)),
      writes.map((w) => bytes(w.sealed.refreshToken)),
      writes.map((w) => bytes(w.sealed.idToken)),
      writes.map((w) => w.sealed.tokenType),
      writes.map((w) => w.sealed.expiresAt),
      writes.map((w) => (w.scopes && w.scopes.length > 0 ? w.scopes.join(' ') : null)),
      writes.map((w) => w.nextRefreshAt),
      writes.map((w) => w.eventId),
      writes.map((w) => JSON.stringify(w.eventPayload)),
      now,
      writes.map((w) => w.owner),
      WEBHOOK_CHANNEL,
    ],
  });
  return new Set(rows.map((r) => r.id));
}

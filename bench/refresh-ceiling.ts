import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import pg from 'pg';
import type { Keyring } from '../src/vault/keyring.js';
import { sealTokenSet } from '../src/vault/token-set.js';

/** The provider of every bench:refresh connection. */
export const REFRESH_PROVIDER = 'bench';
const SEED_BATCH = 20_000;

/**
 * Replaces every connection with `n` due ones (next_refresh_at a second ago, access
 * tokens valid for another minute), each with the endpoint's generation-0 refresh token
 * (bench/refresh-endpoint.ts), and empties the outbox and audit trail. The provider is
 * created on the first call. Triggers are off for this session only (nobody has cached
 * rows that do not exist yet).
 */
export async function seedDue(url: string, keyring: Keyring, endpoint: string, n: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await client.query('TRUNCATE connections, token_sets, webhook_events, audit_events CASCADE');
    const metadata = { issuer: endpoint, token_endpoint: `${endpoint}/token` };
    await client.query(
      `INSERT INTO providers (key, display_name, issuer, metadata, client_id, client_auth_method, scopes, updated_at)
       VALUES ($1, 'Bench', $2, $3, 'broker', 'none', '{}', now()) ON CONFLICT (key) DO NOTHING`,
      [REFRESH_PROVIDER, endpoint, metadata],
    );
    const expiresAt = new Date(Date.now() + 60_000);
    for (let start = 0; start < n; start += SEED_BATCH) {
      const ids: string[] = [];
      const access: Buffer[] = [];
      const refresh: Buffer[] = [];
      for (let i = start; i < Math.min(start + SEED_BATCH, n); i++) {
        const id = `conn_rb_${String(i).padStart(8, '0')}`;
        const sealed = sealTokenSet(keyring, id, {
          accessToken: `at-initial-${i}`,
          refreshToken: `rt.${id}.0`,
          idToken: undefined,
          tokenType: 'Bearer',
          expiresAt,
        });
        ids.push(id);
        access.push(Buffer.from(sealed.accessToken));
        refresh.push(Buffer.from(sealed.refreshToken!));
      }
      await client.query(
        `INSERT INTO connections (id, provider_key, subject, status, expires_at, next_refresh_at, updated_at)
         SELECT id, $1, id, 'active', $2, now() - interval '1 second', now() FROM unnest($3::text[]) AS id`,
        [REFRESH_PROVIDER, expiresAt, ids],
      );
      await client.query(
        `INSERT INTO token_sets (connection_id, key_id, access_token, refresh_token, token_type, expires_at, updated_at)
         SELECT id, $1, a, r, 'Bearer', $2, now() FROM unnest($3::text[], $4::bytea[], $5::bytea[]) AS t(id, a, r)`,
        [keyring.currentKid, expiresAt, ids, access, refresh],
      );
    }
    await client.query('ANALYZE connections');
    await client.query('ANALYZE token_sets');
  } finally {
    await client.end();
  }
}

/** Runs `worker` on `concurrency` loops until each returns false; returns the seconds taken. */
async function loops(concurrency: number, worker: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (await worker());
    }),
  );
  return (performance.now() - started) / 1000;
}

/**
 * Ceiling (a): `n` refresh grants sent straight to the token endpoint by a bare
 * keep-alive `node:http` client, `concurrency` at a time, for connections named after
 * `run` (each run's refresh tokens are new to the endpoint). Grants/s.
 */
export async function bareGrants(endpoint: string, concurrency: number, n: number, run: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL('/token', endpoint);
  let next = 0;
  const grant = (i: number) =>
    new Promise<void>((ok, fail) => {
      const body = `grant_type=refresh_token&refresh_token=rt.${run}${i}.0&client_id=broker`;
      const req = request(
        target,
        {
          agent,
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? ok() : fail(new Error(`${res.statusCode}`)),
          );
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  const seconds = await loops(concurrency, async () => {
    if (next >= n) return false;
    await grant(next++);
    return true;
  });
  agent.destroy();
  return n / seconds;
}

const CLAIM = `UPDATE connections c SET lease_owner = 'bare', lease_expires_at = now() + interval '2 minutes'
  FROM (SELECT id FROM connections WHERE status = 'active' AND next_refresh_at <= now()
          AND (lease_expires_at IS NULL OR lease_expires_at <= now())
        ORDER BY next_refresh_at LIMIT 1 FOR UPDATE SKIP LOCKED) due
  WHERE c.id = due.id RETURNING c.id`;
const READ = `SELECT key_id, access_token, refresh_token, version FROM token_sets WHERE connection_id = $1`;
const WRITE_TOKENS = `UPDATE token_sets SET access_token = $2, refresh_token = $3, expires_at = $4,
  version = version + 1, updated_at = now() WHERE connection_id = $1`;
const WRITE_SCHEDULE = `UPDATE connections SET expires_at = $2, last_refreshed_at = now(),
  next_refresh_at = $2::timestamptz - interval '5 minutes', refresh_failures = 0, last_error = NULL,
  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() WHERE id = $1`;
const OUTBOX = `INSERT INTO webhook_events (id, type, payload, created_at) VALUES ($1, 'connection.refreshed', $2, now())`;

/**
 * Ceiling (b): the SQL one refresh must run, with nothing else, `concurrency` loops at a
 * time over every due connection: claim one, read its token set, write the new token set
 * (ciphertexts of a real one's size), its schedule and release, and an outbox row, in one
 * transaction. Refreshes/s.
 */
export async function bareSql(url: string, concurrency: number) {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  const sealedSize = randomBytes(60);
  let done = 0;
  const seconds = await loops(concurrency, async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string }>({ name: 'claim', text: CLAIM });
      const id = rows[0]?.id;
      if (id === undefined) {
        await client.query('COMMIT');
        return false;
      }
      await client.query({ name: 'read', text: READ, values: [id] });
      const expiresAt = new Date(Date.now() + 3_600_000);
      await client.query({
        name: 'tokens',
        text: WRITE_TOKENS,
        values: [id, sealedSize, sealedSize, expiresAt],
      });
      await client.query({ name: 'schedule', text: WRITE_SCHEDULE, values: [id, expiresAt] });
      const eventId = `msg_${randomBytes(12).toString('base64url')}`;
      await client.query({
        name: 'outbox',
        text: OUTBOX,
        values: [
          eventId,
          { id: eventId, type: 'connection.refreshed', data: { connection_id: id } },
        ],
      });
      await client.query('COMMIT');
      done++;
      return true;
    } finally {
      client.release();
    }
  });
  await pool.end();
  return done / seconds;
}

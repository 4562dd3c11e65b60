import pg from 'pg';
import type { Keyring } from '../src/vault/keyring.js';
import { sealTokenSet } from '../src/vault/token-set.js';

/** The provider every bench connection belongs to. */
export const BENCH_PROVIDER = 'bench';
/** Rows per token-set INSERT (sealed in memory first: AES-GCM binds each to its connection id). */
const BATCH = 20_000;

/** The id of the `i`-th seeded connection. */
export const benchConnectionId = (i: number) => `conn_bench_${String(i).padStart(8, '0')}`;

/**
 * Seeds connections `[from, to)` with valid tokens (expiring in 30 days, so no read needs a
 * refresh), the provider first when `from` is 0. Connections come from one INSERT … SELECT
 * over generate_series; token sets from batched INSERT … SELECT unnest(). Triggers (the
 * NOTIFY of cache invalidation, foreign key checks) are off for this session only: nobody
 * has cached rows that do not exist yet.
 *
 * @example await seed(url, keyring, 0, 1000)
 */
export async function seed(url: string, keyring: Keyring, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET session_replication_role = replica`);
    if (from === 0) {
      await client.query(
        `INSERT INTO providers (key, display_name, issuer, metadata, client_id, client_auth_method, scopes, updated_at)
         VALUES ($1, 'Bench', 'http://127.0.0.1:9', '{"issuer":"http://127.0.0.1:9","token_endpoint":"http://127.0.0.1:9/token"}',
                 'bench', 'none', ARRAY['openid','api'], now())`,
        [BENCH_PROVIDER],
      );
    }
    await client.query(
      `INSERT INTO connections (id, provider_key, subject, status, scopes, expires_at, updated_at)
       SELECT 'conn_bench_' || lpad(i::text, 8, '0'), $1, 'user-' || i, 'active',
              ARRAY['openid','api'], now() + interval '30 days', now()
       FROM generate_series($2::int, $3::int - 1) AS i`,
      [BENCH_PROVIDER, from, to],
    );
    const expiresAt = new Date(Date.now() + 30 * 86_400_000);
    for (let start = from; start < to; start += BATCH) {
      const ids: string[] = [];
      const tokens: Buffer[] = [];
      for (let i = start; i < Math.min(start + BATCH, to); i++) {
        const id = benchConnectionId(i);
        const sealed = sealTokenSet(keyring, id, {
          accessToken: `at-bench-${i}-${'x'.repeat(100)}`,
          refreshToken: undefined,
          idToken: undefined,
          tokenType: 'Bearer',
          expiresAt,
        });
        ids.push(id);
        tokens.push(Buffer.from(sealed.accessToken));
      }
      await client.query(
        `INSERT INTO token_sets (connection_id, key_id, access_token, token_type, expires_at, updated_at)
         SELECT id, $1, token, 'Bearer', $2, now() FROM unnest($3::text[], $4::bytea[]) AS t(id, token)`,
        [keyring.currentKid, expiresAt, ids, tokens],
      );
    }
    await client.query('ANALYZE connections');
    await client.query('ANALYZE token_sets');
  } finally {
    await client.end();
  }
}

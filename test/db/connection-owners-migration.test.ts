import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrator.js';
import { createEmptyDatabase } from '../support/db.js';

const MIGRATION = '20261202070417_connection_owners';

/** A copy of the migrations folder holding only those before `MIGRATION`. */
async function migrationsBefore(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tb-migrations-'));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (name < MIGRATION)
      await cp(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
  }
  return dir;
}

/**
 * Connections stored before they had owners (one `(provider, subject)` for every service),
 * then the migration: each is assigned to the service the records say created it, and the
 * ones nothing points at stay unowned.
 */
describe('migration connection_owners on a database with older connections', () => {
  let empty: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let pool: pg.Pool;
  const notices: string[] = [];
  let owners: Map<string, string | null>;

  beforeAll(async () => {
    empty = await createEmptyDatabase();
    pool = new pg.Pool({ connectionString: empty.url, max: 2 });
    // Dropping the database at the end terminates idle clients; that is not a failure.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('notice', (n) => notices.push(n.message ?? '')));
    const before = await migrationsBefore();
    try {
      expect((await migrate(pool, before)).applied).not.toContain(MIGRATION);
    } finally {
      await rm(before, { recursive: true, force: true });
    }
    await pool.query(`
      INSERT INTO providers (key, display_name, client_id, client_auth_method) VALUES
        ('shared', 'Shared', 'c', 'client_secret_basic'), ('solo', 'Solo', 'c', 'client_secret_basic');
      INSERT INTO services (id, name, client_id, client_secret_hash, allowed_providers) VALUES
        ('svc_a', 'a', 'svc_a', '\\x00', '{shared}'),
        ('svc_b', 'b', 'svc_b', '\\x00', '{shared}'),
        ('svc_c', 'c', 'svc_c', '\\x00', '{solo}');
      INSERT INTO connections (id, provider_key, subject, updated_at) VALUES
        ('conn_audit', 'shared', 'u-audit', now()),
        ('conn_overwritten', 'shared', 'u-over', now()),
        ('conn_device', 'shared', 'u-device', now()),
        ('conn_consent', 'shared', 'u-consent', now()),
        ('conn_reader', 'shared', 'u-reader', now()),
        ('conn_policy', 'solo', 'u-policy', now()),
        ('conn_gone', 'shared', 'u-gone', now()),
        ('conn_nothing', 'shared', 'u-nothing', now());
      INSERT INTO audit_events (at, actor_type, actor_id, action, connection_id, outcome) VALUES
        (now() - interval '2 hours', 'service', 'svc_a', 'connection.create', 'conn_audit', 'success'),
        (now() - interval '1 hour', 'service', 'svc_b', 'connection.create', 'conn_audit', 'invalid_grant'),
        (now() - interval '2 hours', 'service', 'svc_a', 'connection.create', 'conn_overwritten', 'success'),
        (now() - interval '1 hour', 'service', 'svc_b', 'connection.create', 'conn_overwritten', 'success'),
        (now(), 'service', 'svc_b', 'token.read', 'conn_reader', 'success'),
        (now(), 'service', 'svc_deleted', 'connection.create', 'conn_gone', 'success'),
        (now(), 'admin', 'admin', 'token.read', 'conn_nothing', 'success'),
        (now(), 'service', 'svc_a', 'token.read', 'conn_nothing', 'success'),
        (now(), 'service', 'svc_b', 'token.read', 'conn_nothing', 'success');
      INSERT INTO device_sessions (id, service_id, provider_key, subject, key_id, device_code, user_code,
          verification_uri, status, connection_id, next_poll_at, expires_at) VALUES
        ('dev_1', 'svc_b', 'shared', 'u-device', 'k', '\\x00', 'ABCD', 'https://x', 'completed', 'conn_device', now(), now());
      INSERT INTO connect_sessions (id, token_hash, service_id, provider_key, subject, expires_at, used_at) VALUES
        ('cs_1', '\\x01', 'svc_a', 'shared', 'u-consent', now(), now() - interval '5 minutes');
      INSERT INTO oauth_flows (id, state_hash, connect_session_id, browser_hash, key_id, code_verifier, expires_at, consumed_at) VALUES
        ('flow_1', '\\x01', 'cs_1', '\\x00', 'k', '\\x00', now(), now() - interval '4 minutes');
    `);
    expect((await migrate(pool)).applied).toContain(MIGRATION);
    const { rows } = await pool.query<{ id: string; service_id: string | null }>(
      'SELECT id, service_id FROM connections',
    );
    owners = new Map(rows.map((r) => [r.id, r.service_id]));
  });

  afterAll(async () => {
    await pool.end();
    await empty.drop();
  });

  it('assigns each connection to the service its records name, strongest evidence first', () => {
    expect(Object.fromEntries(owners)).toStrictEqual({
      // The latest *successful* connection.create; a failed attempt by another is no claim.
      conn_audit: 'svc_a',
      // Two services wrote it: the last writer's user is the one whose tokens it holds.
      conn_overwritten: 'svc_b',
      conn_device: 'svc_b',
      conn_consent: 'svc_a',
      // Only one service ever read it.
      conn_reader: 'svc_b',
      // Only one service's policy allows the provider.
      conn_policy: 'svc_c',
      // Its creator was deleted, and two services may use the provider: nobody's.
      conn_gone: null,
      // Read by two services, created by none on record.
      conn_nothing: null,
    });
  });

  it('says how many connections it could not attribute', () => {
    expect(notices).toContainEqual(
      'connection_owners: 2 connection(s) could not be attributed to a service and stay unowned (service_id NULL)',
    );
  });

  it('gives services display_name null and connection_access own', async () => {
    const { rows } = await pool.query<{ display_name: string | null; connection_access: string }>(
      'SELECT DISTINCT display_name, connection_access FROM services',
    );
    expect(rows).toStrictEqual([{ display_name: null, connection_access: 'own' }]);
  });

  it('lets two services hold the same (provider, subject), but one service only once', async () => {
    await pool.query(
      `INSERT INTO connections (id, service_id, provider_key, subject, updated_at) VALUES ('conn_a2', 'svc_a', 'shared', 'u-over', now())`,
    );
    await expect(
      pool.query(
        `INSERT INTO connections (id, service_id, provider_key, subject, updated_at) VALUES ('conn_a3', 'svc_a', 'shared', 'u-over', now())`,
      ),
    ).rejects.toThrow(/connections_service_id_provider_key_subject_key/);
  });
});

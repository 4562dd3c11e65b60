import type pg from 'pg';
import type { ResolvedConfig } from '../config/index.js';
import { pendingMigrations, readMigrations } from '../db/migrator.js';
import { ENCRYPTED_TABLES } from '../vault/encrypted-columns.js';
import { dekIdOf, Keyring } from '../vault/keyring.js';
import { openKeks } from '../vault/open.js';

/** One finding of `token-broker doctor`. */
export interface CheckResult {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  /** What to do about a `warn` or `fail`. */
  fix?: string;
}

/** Clock skew against the database that is worth a warning, and one that breaks tokens. */
export const SKEW_WARN_MS = 2_000;
export const SKEW_FAIL_MS = 30_000;

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/** Where the database is, without its password. */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/** An error as one line: its code (or its cause's, for fetch) and message. */
const reason = (error: unknown) => {
  const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
  const raw = e.code ?? e.cause?.code;
  const code = typeof raw === 'string' ? raw : undefined;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
};

/** `SELECT 1` through the pool. */
export async function checkDatabase(pool: pg.Pool, url: string): Promise<CheckResult> {
  try {
    await pool.query('SELECT 1');
    return { name: 'database', status: 'ok', detail: `reachable at ${describeDatabase(url)}` };
  } catch (error) {
    return {
      name: 'database',
      status: 'fail',
      detail: `cannot reach ${describeDatabase(url)}: ${reason(error)}`,
      fix: 'check DATABASE_URL (host, port, user, password, database name), that Postgres runs, and that this host may connect to it',
    };
  }
}

/** Pending, failed and unknown (newer) migrations. */
export async function checkMigrations(pool: pg.Pool): Promise<CheckResult> {
  const pending = await pendingMigrations(pool);
  const known = new Set((await readMigrations()).map((m) => m.name));
  const table = await pool.query<{ t: string | null }>(
    `SELECT to_regclass('"_prisma_migrations"')::text AS t`,
  );
  const rows = table.rows[0]?.t
    ? (
        await pool.query<{ migration_name: string; finished_at: Date | null }>(
          'SELECT migration_name, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL',
        )
      ).rows
    : [];
  const failed = rows.filter((r) => r.finished_at === null).map((r) => r.migration_name);
  if (failed.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `failed earlier: ${failed.join(', ')}`,
      fix: 'read the migration log in _prisma_migrations.logs, repair the schema by hand, then mark it rolled back (UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = …) and run token-broker migrate',
    };
  }
  if (pending.length > 0) {
    return {
      name: 'migrations',
      status: 'fail',
      detail: `${pending.length} pending: ${pending.join(', ')}`,
      fix: 'run token-broker migrate (npm run migrate), or start a broker: it migrates at start',
    };
  }
  const unknown = rows.map((r) => r.migration_name).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    return {
      name: 'migrations',
      status: 'warn',
      detail: `the database has migrations this version does not know: ${unknown.join(', ')}`,
      fix: 'a newer broker version migrated this database; upgrade this installation to it',
    };
  }
  return { name: 'migrations', status: 'ok', detail: `current (${known.size} applied)` };
}

/**
 * Every key id in use by an encrypted column is configured, and decrypts a sample row
 * (same key id, different key material is caught here rather than at the first read).
 * The data keys are unwrapped too, so a wrong KEK or HSM PIN fails here.
 */
export async function checkEncryptionKeys(
  pool: pg.Pool,
  config: ResolvedConfig,
): Promise<CheckResult> {
  let keyring: Keyring;
  try {
    const keks = await openKeks(config);
    keyring = await Keyring.forReading(config.encryptionKeys, {
      pool,
      keks,
      maxUses: BigInt(config.dekMaxUses),
      leaseMs: config.keyLeaseSeconds * 1000,
    }).catch(async (error: unknown) => {
      await Promise.all([...keks.byKind.values()].map((k) => k.close()));
      throw error;
    });
  } catch (error) {
    return {
      name: 'encryption keys',
      status: 'fail',
      detail: error instanceof Error ? error.message : String(error),
      fix: 'configure the key encryption key that wrapped the data keys (TOKEN_ENCRYPTION_KEYS, or TOKEN_KEK=pkcs11 with its PIN and key label)',
    };
  }
  try {
    return await sampleEncryptedRows(pool, config, keyring);
  } finally {
    await keyring.close();
  }
}

async function sampleEncryptedRows(
  pool: pg.Pool,
  config: ResolvedConfig,
  keyring: Keyring,
): Promise<CheckResult> {
  const envKid = config.encryptionKeys[0]?.kid;
  const missing = new Map<string, string[]>();
  const wrong: string[] = [];
  let older = 0;
  let legacy = 0;
  for (const t of ENCRYPTED_TABLES) {
    const sample = t.fields.map(
      (f) =>
        `(array_agg(${q(f)}) FILTER (WHERE ${q(f)} IS NOT NULL))[1] AS ${q(f)}, (array_agg(${q(t.idColumn)}::text) FILTER (WHERE ${q(f)} IS NOT NULL))[1] AS ${q(`${f}__id`)}`,
    );
    const { rows } = await pool.query<Record<string, Buffer | string | null>>(
      `SELECT ${q(t.keyIdColumn)} AS kid, count(*)::text AS n, ${sample.join(', ')}
         FROM ${q(t.table)} WHERE ${q(t.keyIdColumn)} IS NOT NULL GROUP BY 1`,
    );
    for (const row of rows) {
      const kid = String(row.kid);
      if (dekIdOf(kid) === undefined) {
        legacy += Number(row.n);
        if (kid !== envKid) older += Number(row.n);
      }
      if (!keyring.has(kid)) {
        missing.set(kid, [...(missing.get(kid) ?? []), t.table]);
        continue;
      }
      for (const field of t.fields) {
        const sealed = row[field];
        if (!(sealed instanceof Buffer)) continue;
        try {
          keyring.decrypt(sealed, kid, { table: t.table, id: String(row[`${field}__id`]), field });
        } catch {
          wrong.push(`${kid} (${t.table}.${field})`);
        }
        break;
      }
    }
  }
  if (missing.size > 0) {
    const list = [...missing].map(([kid, tables]) => `"${kid}" (${tables.join(', ')})`);
    return {
      name: 'encryption keys',
      status: 'fail',
      detail: `rows are encrypted under keys not in TOKEN_ENCRYPTION_KEYS or data_keys: ${list.join('; ')}`,
      fix: 'add those keys back to TOKEN_ENCRYPTION_KEYS (after the current one) on every replica, then run token-broker keys rotate',
    };
  }
  if (wrong.length > 0) {
    return {
      name: 'encryption keys',
      status: 'fail',
      detail: `configured keys do not decrypt what was written under their id: ${wrong.join(', ')}`,
      fix: 'the key material under that id differs from the one that encrypted the rows; restore the original value of that kid in TOKEN_ENCRYPTION_KEYS',
    };
  }
  const kek = keyring.kek as { kind: string; id: string };
  const stale = keyring
    .dataKeys()
    .filter((d) => d.wrapped && (d.kekKind !== kek.kind || d.kekId !== kek.id)).length;
  const ids = config.encryptionKeys.map((k) => k.kid).join(', ');
  const where = `KEK ${kek.kind} "${kek.id}"; configured: ${ids}; ${keyring.dataKeys().length} data key(s)`;
  if (older > 0 || stale > 0) {
    return {
      name: 'encryption keys',
      status: 'warn',
      detail: `${older} rows are still under older keys and ${stale} data keys are wrapped by an older KEK (${where})`,
      fix: 'finish the rotation: token-broker keys rotate (repeat until nothing remains), then remove the old key',
    };
  }
  const upgrade =
    legacy > 0 ? `; ${legacy} rows predate data keys (token-broker keys rotate moves them)` : '';
  return {
    name: 'encryption keys',
    status: 'ok',
    detail: `every row decrypts (${where}${upgrade})`,
  };
}

/** Skew between this host's clock and the database's, halfway through the round trip. */
export async function checkClockSkew(pool: pg.Pool, now = () => Date.now()): Promise<CheckResult> {
  const before = now();
  const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
  const after = now();
  const skew = (rows[0]?.now.getTime() ?? after) - (before + after) / 2;
  const seconds = `${(skew / 1000).toFixed(1)} s (${skew > 0 ? 'database ahead' : 'database behind'})`;
  const fix =
    'synchronise the clocks of this host and the database host with NTP (chrony, systemd-timesyncd); token expiry and JWT lifetimes depend on it';
  if (Math.abs(skew) >= SKEW_FAIL_MS) {
    return { name: 'clock skew', status: 'fail', detail: seconds, fix };
  }
  if (Math.abs(skew) >= SKEW_WARN_MS) {
    return { name: 'clock skew', status: 'warn', detail: seconds, fix };
  }
  return { name: 'clock skew', status: 'ok', detail: `${Math.round(skew)} ms` };
}

/** The well-known URLs a provider's issuer publishes its metadata under. */
export function discoveryUrls(issuer: string): string[] {
  const u = new URL(issuer);
  const path = u.pathname.replace(/\/+$/, '');
  return [
    `${u.origin}${path}/.well-known/openid-configuration`,
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
  ];
}

/** Fetches each issuer's discovery document with a timeout. */
export async function checkProviderDiscovery(
  pool: pg.Pool,
  timeoutMs: number,
): Promise<CheckResult[]> {
  const { rows } = await pool.query<{ key: string; issuer: string }>(
    'SELECT key, issuer FROM providers WHERE issuer IS NOT NULL ORDER BY key',
  );
  return Promise.all(
    rows.map(async ({ key, issuer }): Promise<CheckResult> => {
      const name = `provider ${key}`;
      let last = '';
      for (const url of discoveryUrls(issuer)) {
        try {
          const res = await fetch(url, {
            signal: AbortSignal.timeout(timeoutMs),
            headers: { accept: 'application/json' },
          });
          const body = res.ok ? ((await res.json()) as { issuer?: unknown }) : undefined;
          if (body && typeof body.issuer === 'string') {
            return { name, status: 'ok', detail: `discovery reachable at ${url}` };
          }
          last = `${url} answered ${res.status}`;
        } catch (error) {
          last = `${url}: ${error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : reason(error)}`;
        }
      }
      return {
        name,
        status: 'fail',
        detail: `discovery failed: ${last}`,
        fix: `check that this host can reach ${new URL(issuer).host} (DNS, egress firewall, proxy) and that the issuer ${issuer} is right`,
      };
    }),
  );
}

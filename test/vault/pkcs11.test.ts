import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { testEncryptionKey } from '../support/broker.js';
import { startChildBroker, type ChildBroker } from '../support/child-broker.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import {
  startFakeAuthorizationServer,
  type FakeAuthorizationServer,
} from '../connect/fake-authorization-server.js';
import { APP_ORIGIN, callback, cookieOf, pressContinue, returned } from '../connect/helpers.js';
import { createSoftHsmToken } from './softhsm.js';

const PUBLIC_URL = 'http://broker.test';
// Short, so rotations wait little; long enough for a replica stalled by a loaded machine.
const LEASE_SECONDS = 5;

/**
 * Starts src/main.ts expecting it to fail: its exit code and every line it printed at
 * LOG_LEVEL=warn (what an operator sees besides the usual start-up lines).
 */
function failedStart(env: Record<string, string>) {
  return new Promise<{ code: number | null; lines: string[] }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: '0',
        NODE_ENV: 'test',
        REFRESH_CRON: 'off',
        ...env,
        LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: out.split('\n').filter(Boolean) });
    });
  });
}

/**
 * The KEK in SoftHSM2 over PKCS#11, end to end with real processes: the token initialised
 * and the key generated as the README tells an operator, a broker started on it, a connection
 * made through the consent flow, read, refreshed, read after a restart, its data key rotated
 * and its KEK rotated to a second HSM key — and the KEK never outside the token.
 */
describe('TOKEN_KEK=pkcs11 against SoftHSM2', () => {
  const hsm = createSoftHsmToken('token-broker');
  let db: TestDatabase;
  let auth: FakeAuthorizationServer;
  let broker: ChildBroker | undefined;
  let env: Record<string, string>;
  const adminToken = `tba_${randomBytes(24).toString('base64url')}`;
  let apiKey: string;
  let connectionId: string;
  const seen: string[] = [];

  const at = (url: string) => url.replace(PUBLIC_URL, broker!.url);
  const admin = () => ({ Authorization: `Bearer ${adminToken}` });
  const readToken = async () => {
    const res = await request(broker!.url)
      .get(`/v1/connections/${connectionId}/token`)
      .set({ Authorization: `Bearer ${apiKey}` });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    auth = await startFakeAuthorizationServer({
      clientId: 'hsm-client',
      clientSecret: 'hsm-client-secret',
    });
    auth.setBehavior('oidc');
    env = {
      DATABASE_URL: db.url,
      TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
      ADMIN_API_TOKEN: adminToken,
      PUBLIC_URL,
      TOKEN_KEY_LEASE_SECONDS: String(LEASE_SECONDS),
      LOG_LEVEL: 'info',
      FORCED_REFRESH_INTERVAL_SECONDS: '0',
      ...hsm.env('kek-2026'),
    };
  });
  afterAll(async () => {
    await broker?.stop();
    await auth.close();
    await db.drop();
    hsm.remove();
  });

  it('keys create-kek generates a non-extractable AES-256 key inside the token', async () => {
    const made = await runCli(env, 'keys', 'create-kek');
    expect([made.code, made.stderr]).toStrictEqual([0, '']);
    expect(made.stdout).toContain('created AES-256 key "kek-2026"');
    const again = await runCli(env, 'keys', 'create-kek');
    expect([again.code, again.stderr.trim()]).toStrictEqual([
      1,
      'token-broker: the PKCS#11 token already holds a key labelled "kek-2026"',
    ]);
    expect(hsm.inspectKey('kek-2026')).toStrictEqual([
      {
        sensitive: true,
        extractable: false,
        neverExtractable: true,
        local: true,
        valueRead: 'CKR_ATTRIBUTE_SENSITIVE',
      },
    ]);
  }, 120_000);

  it('a wrong PIN or a missing key stops start-up with one clear line', async () => {
    const withPin = Object.fromEntries(
      Object.entries(env).filter(([name]) => name !== 'TOKEN_KEK_PKCS11_PIN_FILE'),
    );
    const wrongPin = await failedStart({ ...withPin, TOKEN_KEK_PKCS11_PIN: '0000-0000' });
    expect(wrongPin.code).toBe(1);
    expect(wrongPin.lines.map((l) => JSON.parse(l) as { msg: string; err: string })).toEqual([
      expect.objectContaining({
        msg: 'start-up failed',
        err: 'the PKCS#11 PIN is wrong (CKR_PIN_INCORRECT)',
      }),
    ]);
    const noKey = await runCli(
      { ...env, TOKEN_KEK_PKCS11_KEY_LABEL: 'kek-typo' },
      'keys',
      'status',
    );
    expect([noKey.code, noKey.stderr]).toStrictEqual([
      1,
      'token-broker: the PKCS#11 token has no secret key labelled "kek-typo"\n',
    ]);
  }, 120_000);

  it('connect, read and refresh with the KEK in the HSM; read again after a restart', async () => {
    broker = await startChildBroker(env, { timeoutMs: 60_000 });
    await request(broker.url)
      .post('/admin/providers')
      .set(admin())
      .send({
        key: 'hsm-oidc',
        issuer: auth.issuer,
        client_id: 'hsm-client',
        client_secret: 'hsm-client-secret',
        client_auth_method: 'client_secret_post',
        scopes: ['openid'],
      })
      .expect(201);
    const service = await request(broker.url)
      .post('/admin/services')
      .set(admin())
      .send({ name: 'svc', allowed_providers: ['hsm-oidc'], allowed_return_to: [APP_ORIGIN] })
      .expect(201);
    apiKey = service.body.api_key as string;
    const session = await request(broker.url)
      .post('/v1/connect-sessions')
      .set({ Authorization: `Bearer ${apiKey}` })
      .send({ provider: 'hsm-oidc', subject: 'alice', return_to: `${APP_ORIGIN}/done` })
      .expect(201);
    const start = await pressContinue(at(session.body.connect_url as string));
    expect(start.status).toBe(303);
    const back = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    const done = returned(await callback(at(back.headers.get('location')!), cookieOf(start)));
    expect(done.status).toBe('success');
    connectionId = done.connection_id!;

    const first = await readToken();
    expect(first).toMatch(/^gho_/);
    const refreshed = await request(broker.url)
      .post(`/v1/connections/${connectionId}/refresh`)
      .set({ Authorization: `Bearer ${apiKey}` })
      .expect(200);
    const second = refreshed.body.access_token as string;
    expect(second).not.toBe(first);
    expect(await readToken()).toBe(second);
    seen.push(first, second);

    await broker.stop();
    broker = await startChildBroker(env, { timeoutMs: 60_000 });
    expect(await readToken()).toBe(second);
  }, 180_000);

  it('Postgres holds only data keys wrapped by the HSM key, and no token in the clear', async () => {
    const keys = await db.pool.query<{ kek_kind: string; kek_id: string; len: number }>(
      `SELECT kek_kind, kek_id, length(wrapped) AS len FROM data_keys WHERE retired_at IS NULL`,
    );
    expect(keys.rows.length).toBeGreaterThan(0);
    // 12-byte IV, the 32-byte DEK encrypted, a 16-byte GCM tag.
    for (const k of keys.rows)
      expect(k).toStrictEqual({ kek_kind: 'pkcs11', kek_id: 'kek-2026', len: 60 });
    const { rows } = await db.pool.query<Record<string, unknown>>(`SELECT * FROM token_sets`);
    const stored = Buffer.concat(
      rows.flatMap((r) =>
        Object.values(r).map((v) => Buffer.from(v instanceof Buffer ? v : String(v))),
      ),
    );
    expect(rows).toHaveLength(1);
    for (const token of seen) expect(stored.includes(token)).toBe(false);
    // The env KEK alone (the same TOKEN_ENCRYPTION_KEYS) cannot open them.
    const envOnly = await runCli({ ...env, TOKEN_KEK: 'env' }, 'keys', 'status');
    expect(envOnly.code).toBe(1);
    expect(envOnly.stderr).toMatch(/wrapped by a pkcs11 KEK, which is not configured/);
  }, 120_000);

  it('keys rotate --new-dek and a KEK rotation to a second HSM key, while the broker serves', async () => {
    const rotated = await runCli(env, '--json', 'keys', 'rotate', '--new-dek');
    expect(rotated.code).toBe(0);
    const report = JSON.parse(rotated.stdout) as { target: string; retired: string[] };
    expect(report.retired.length).toBeGreaterThan(0);
    expect(await readToken()).toBe(seen[1]);

    const next = { ...env, ...hsm.env('kek-2027') };
    expect((await runCli(next, 'keys', 'create-kek')).code).toBe(0);
    const rewrap = await runCli(next, '--json', 'keys', 'rotate');
    expect(rewrap.code).toBe(0);
    expect((JSON.parse(rewrap.stdout) as { rewrapped: number }).rewrapped).toBe(1);
    const status = JSON.parse((await runCli(next, '--json', 'keys', 'status')).stdout) as {
      kek: unknown;
      data_keys: { state: string; kek: string | null }[];
      data_keys_to_rewrap: number;
    };
    expect(status.kek).toStrictEqual({ kind: 'pkcs11', id: 'kek-2027' });
    expect(status.data_keys_to_rewrap).toBe(0);
    expect(status.data_keys.filter((d) => d.state !== 'retired').map((d) => d.kek)).toStrictEqual([
      `pkcs11 kek-2027`,
    ]);

    // The old HSM key can go; a broker on the new one reads everything.
    hsm.destroyKey('kek-2026');
    await broker!.stop();
    env = next;
    broker = await startChildBroker(env, { timeoutMs: 60_000 });
    expect(await readToken()).toBe(seen[1]);
  }, 240_000);

  it('reads and refreshes need no HSM call: they go on with the key gone from the token', async () => {
    hsm.destroyKey('kek-2027');
    expect(hsm.inspectKey('kek-2027')).toStrictEqual([]);
    expect(await readToken()).toBe(seen[1]);
    const refreshed = await request(broker!.url)
      .post(`/v1/connections/${connectionId}/refresh`)
      .set({ Authorization: `Bearer ${apiKey}` })
      .expect(200);
    expect(await readToken()).toBe(refreshed.body.access_token);
    // Only a start, which unwraps the data keys, needs it.
    await broker!.stop();
    broker = undefined;
    const restart = await failedStart(env);
    expect(restart.code).toBe(1);
    expect(restart.lines.map((l) => (JSON.parse(l) as { err: string }).err)).toStrictEqual([
      'the PKCS#11 token has no secret key labelled "kek-2027"',
    ]);
  }, 180_000);
});

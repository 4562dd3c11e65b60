import { randomBytes } from 'node:crypto';
import { Keyring } from '../../src/vault/keyring.js';
import { runCli, type CliRun as Run } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildProvider, CONNECTION_FIELDS } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import {
  fakeConnection,
  isActive,
  plainProvider,
  UPSTREAM_CLIENT,
  upstreamConnection,
} from '../connections/fixtures.js';

const key = randomBytes(32);

/** Each CLI call starts its own tsx process: slow on a busy 2-core machine. */
const CLI_TIMEOUT_MS = 120_000;

describe('token-broker CLI', () => {
  let db: TestDatabase;
  let upstream: Upstream;
  const keyring = new Keyring([{ kid: 'cli', key }]);

  /** Runs `token-broker ...args` against the test database. */
  const cli = (...args: string[]): Promise<Run> =>
    runCli(
      {
        DATABASE_URL: db.url,
        TOKEN_ENCRYPTION_KEYS: `cli:${key.toString('base64')}`,
        ADMIN_API_TOKEN: 'x'.repeat(32),
      },
      ...args,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    upstream = await startUpstream({ clients: [UPSTREAM_CLIENT] });
    await plainProvider(db.prisma, 'plain');
  }, CLI_TIMEOUT_MS);
  afterAll(async () => {
    await upstream.close();
    await db.drop();
  }, CLI_TIMEOUT_MS);

  it(
    'connections list prints a table, filters, and --json prints the API shape',
    async () => {
      const a = await fakeConnection(db.prisma, keyring, 'plain', 'list-a');
      const b = await fakeConnection(db.prisma, keyring, 'plain', 'list-b');
      await db.prisma.connection.update({ where: { id: b.id }, data: { status: 'revoked' } });

      const text = await cli('connections', 'list', '--provider', 'plain');
      expect(text.code).toBe(0);
      const [header, ...rows] = text.stdout.trim().split('\n');
      expect(header).toMatch(/^ID\s+PROVIDER\s+SUBJECT\s+STATUS\s+EXPIRES\s+LAST REFRESH$/);
      expect(rows.some((r) => r.startsWith(a.id) && /\bactive\b/.test(r))).toBe(true);

      const json = await cli('connections', 'list', '--status', 'revoked', '--json');
      expect(json.code).toBe(0);
      const body = JSON.parse(json.stdout) as { data: { id: string }[]; next_cursor: null };
      expect(body.data.map((c) => c.id)).toEqual([b.id]);
      expect(body.next_cursor).toBeNull();
      expect(Object.keys(body.data[0] ?? {}).sort()).toEqual(CONNECTION_FIELDS);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'connections show prints one connection, and --json its admin shape',
    async () => {
      const cn = await fakeConnection(db.prisma, keyring, 'plain', 'show-me');
      const text = await cli('connections', 'show', cn.id);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/^subject\s+show-me$/m);
      const json = await cli('--json', 'connections', 'show', cn.id);
      expect(JSON.parse(json.stdout)).toMatchObject({
        id: cn.id,
        provider: 'plain',
        subject: 'show-me',
        status: 'active',
        revoked_at: null,
        upstream_revocation: null,
      });
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'exits 1 with one clear line on errors',
    async () => {
      const missing = await cli('connections', 'show', 'conn_x');
      expect(missing).toStrictEqual({
        code: 1,
        stdout: '',
        stderr: 'token-broker: connection conn_x not found\n',
      });
      const revokeMissing = await cli('connections', 'revoke', 'conn_x', '--json');
      expect(revokeMissing.code).toBe(1);
      expect(revokeMissing.stderr).toBe('token-broker: connection conn_x not found\n');
      const nothing = await cli('connections', 'revoke');
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toBe(
        'token-broker: give a connection id, or --provider and/or --subject\n',
      );
      const badStatus = await cli('connections', 'list', '--status', 'sleeping');
      expect(badStatus.code).toBe(1);
      expect(badStatus.stderr).toMatch(/^token-broker: status: /);
      const unknown = await cli('connections', 'frobnicate');
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toMatch(/unknown command/);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'connections revoke <id> revokes at the provider and records the CLI as actor',
    async () => {
      const provider = await buildProvider(db.prisma, keyring, upstream);
      const { connection, tokens } = await upstreamConnection(
        db.prisma,
        keyring,
        upstream,
        provider.key,
        'gina',
      );
      const first = await cli('connections', 'revoke', connection.id);
      expect(first).toStrictEqual({
        code: 0,
        stdout: `revoked ${connection.id} (upstream revocation: succeeded)\n`,
        stderr: '',
      });
      expect(await isActive(upstream, tokens.refresh_token)).toBe(false);
      expect(await isActive(upstream, tokens.access_token)).toBe(false);

      const again = await cli('connections', 'revoke', connection.id, '--json');
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toStrictEqual({
        connection_id: connection.id,
        already_revoked: true,
        upstream_revocation: null,
      });

      const audit = await cli('audit', '--connection', connection.id, '--json');
      expect(audit.code).toBe(0);
      const events = (JSON.parse(audit.stdout) as { data: Record<string, unknown>[] }).data;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        actor_type: 'admin',
        actor_id: 'cli',
        action: 'connection.revoke',
        connection_id: connection.id,
        outcome: 'success',
      });
      const table = await cli('audit', '--connection', connection.id);
      expect(table.stdout).toMatch(
        new RegExp(
          `^\\S+\\s+admin:cli\\s+connection\\.revoke\\s+${connection.id}\\s+success$`,
          'm',
        ),
      );
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'connections revoke --provider/--subject revokes in bulk',
    async () => {
      const a = await fakeConnection(db.prisma, keyring, 'plain', 'bulk-leaver');
      const keep = await fakeConnection(db.prisma, keyring, 'plain', 'bulk-stayer');
      const res = await cli(
        '--json',
        'connections',
        'revoke',
        '--provider',
        'plain',
        '--subject',
        'bulk-leaver',
      );
      expect(res.code).toBe(0);
      expect(JSON.parse(res.stdout)).toStrictEqual({
        revoked: 1,
        upstream_failed: 0,
        connection_ids: [a.id],
      });
      const text = await cli('connections', 'revoke', '--subject', 'bulk-leaver');
      expect(text.stdout).toBe('revoked 0 connection(s)\n');
      const kept = await db.prisma.connection.findUniqueOrThrow({ where: { id: keep.id } });
      expect(kept.status).toBe('active');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'migrate and keys rotate still work beside the new commands',
    async () => {
      const migrate = await cli('migrate');
      expect(migrate).toStrictEqual({ code: 0, stdout: 'database is current\n', stderr: '' });
      const rotate = await cli('--json', 'keys', 'rotate');
      expect(rotate.code).toBe(0);
      expect(JSON.parse(rotate.stdout)).toHaveProperty('remaining');
    },
    CLI_TIMEOUT_MS,
  );
});

import { randomBytes } from 'node:crypto';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

/** Each command is a fresh tsx process: seconds apiece on a loaded machine. */
const CLI_TIMEOUT_MS = 120_000;

describe('token-broker providers and services', () => {
  let db: TestDatabase;
  // One key for every run: the data keys made by the first run are wrapped under it.
  const key = `cli:${randomBytes(32).toString('base64')}`;
  /** The service the services tests create, update and delete in turn. */
  let serviceId = '';
  const cli = (...args: string[]) =>
    runCli(
      {
        DATABASE_URL: db.url,
        TOKEN_ENCRYPTION_KEYS: key,
        ADMIN_API_TOKEN: 'x'.repeat(32),
        PUBLIC_URL: 'https://broker.example.com',
      },
      ...args,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it(
    'providers add from a template, list as a table and as JSON, remove',
    async () => {
      const add = await cli(
        'providers',
        'add',
        'gh',
        '--template',
        'github',
        '--client-id',
        'abc',
        '--client-secret',
        'shh-secret',
      );
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(add.stdout).toContain(
        'added gh; redirect URI: https://broker.example.com/oauth/callback',
      );

      const table = await cli('providers', 'list');
      expect(table.stdout).toMatch(
        /^KEY\s+NAME\s+TEMPLATE\s+CLIENT ID\ngh\s+GitHub\s+github\s+abc$/m,
      );
      const json = await cli('--json', 'providers', 'list');
      const listed = JSON.parse(json.stdout) as {
        data: { key: string; has_client_secret: boolean }[];
      };
      expect(listed.data).toEqual([
        expect.objectContaining({ key: 'gh', has_client_secret: true }),
      ]);
      expect(json.stdout).not.toContain('shh-secret');

      expect((await cli('providers', 'remove', 'gh')).stdout).toContain('removed gh');
      expect(await db.prisma.provider.count()).toBe(0);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'providers add with a bad value exits 1 with one clear line',
    async () => {
      const bad = await cli('providers', 'add', 'Bad Key', '--client-id', 'x');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^token-broker: key: must match/);
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'services create prints the credentials once; list; delete; deleting again fails',
    async () => {
      const add = await cli(
        'providers',
        'add',
        'github',
        '--template',
        'github',
        '--client-id',
        'x',
        '--client-secret',
        'y',
      );
      expect(add.code).toBe(0);
      const created = await cli(
        '--json',
        'services',
        'create',
        'billing',
        '--providers',
        'github',
        '--return-to',
        'https://app.example.com',
      );
      expect(created.code).toBe(0);
      const service = JSON.parse(created.stdout) as { id: string; api_key: string };
      expect(service).toMatchObject({ api_key: expect.stringMatching(/^tbk_/) });
      serviceId = service.id;

      const list = await cli('services', 'list');
      expect(list.stdout).toContain(`${service.id}  billing  github`);
      expect(list.stdout).not.toContain(service.api_key);

      const unknown = await cli('services', 'create', 'x', '--providers', 'nonexistent');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('"nonexistent"');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'services update changes the policy; keys create, list and revoke rotate a key; client-secret rotates the secret',
    async () => {
      const updated = await cli(
        '--json',
        'services',
        'update',
        serviceId,
        '--display-name',
        'Acme',
      );
      expect(updated.stderr).toBe('');
      expect(JSON.parse(updated.stdout)).toMatchObject({
        display_name: 'Acme',
        allowed_providers: ['github'],
      });

      const issued = await cli('--json', 'services', 'keys', 'create', serviceId);
      const key = JSON.parse(issued.stdout) as { id: string; api_key: string };
      expect(key.api_key).toMatch(new RegExp(`^tbk_${key.id}_`));
      const keys = await cli('services', 'keys', 'list', serviceId);
      expect(keys.stdout).toMatch(/^ID\s+CREATED\s+EXPIRES\s+LAST USED$/m);
      expect(keys.stdout).toContain(key.id);
      expect(keys.stdout).not.toContain(key.api_key);
      const revoked = await cli('services', 'keys', 'revoke', serviceId, key.id);
      expect(revoked.stdout).toContain(`revoked key ${key.id}`);
      expect(await db.prisma.serviceApiKey.count({ where: { serviceId } })).toBe(1);

      const rotated = await cli('--json', 'services', 'client-secret', serviceId);
      const shown = JSON.parse(rotated.stdout) as { client_secret: string };
      expect(shown).toStrictEqual({
        client_id: serviceId,
        client_secret: expect.stringMatching(/^tbs_/),
        previous_expires_at: expect.any(String),
      });
      const row = await db.prisma.service.findUniqueOrThrow({ where: { id: serviceId } });
      expect(row.previousClientSecretHash).not.toBeNull();
      expect(row.previousClientSecretExpiresAt?.getTime()).toBeGreaterThan(
        Date.now() + 23 * 3600_000,
      );
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'services delete removes it; deleting again fails with one line',
    async () => {
      expect((await cli('services', 'delete', serviceId)).code).toBe(0);
      const again = await cli('services', 'delete', serviceId);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe('token-broker: service not found\n');
    },
    CLI_TIMEOUT_MS,
  );
});

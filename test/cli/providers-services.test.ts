import { randomBytes } from 'node:crypto';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('token-broker providers and services', () => {
  let db: TestDatabase;
  // One key for every run: the data keys made by the first run are wrapped under it.
  const key = `cli:${randomBytes(32).toString('base64')}`;
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

  it('providers add from a template, list as a table and as JSON, remove', async () => {
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
    expect(listed.data).toEqual([expect.objectContaining({ key: 'gh', has_client_secret: true })]);
    expect(json.stdout).not.toContain('shh-secret');

    expect((await cli('providers', 'remove', 'gh')).stdout).toContain('removed gh');
    expect(await db.prisma.provider.count()).toBe(0);
  });

  it('providers add with a bad value exits 1 with one clear line', async () => {
    const bad = await cli('providers', 'add', 'Bad Key', '--client-id', 'x');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^token-broker: key: must match/);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('services create prints the credentials once; list; delete; deleting again fails', async () => {
    const created = await cli(
      '--json',
      'services',
      'create',
      'billing',
      '--providers',
      'github,google',
      '--return-to',
      'https://app.example.com',
    );
    expect(created.code).toBe(0);
    const service = JSON.parse(created.stdout) as {
      id: string;
      api_key: string;
      allowed_providers: string[];
    };
    expect(service.api_key).toMatch(/^tbk_/);
    expect(service.allowed_providers).toEqual(['github', 'google']);

    const list = await cli('services', 'list');
    expect(list.stdout).toContain(`${service.id}  billing  github,google`);
    expect(list.stdout).not.toContain(service.api_key);

    expect((await cli('services', 'delete', service.id)).code).toBe(0);
    const again = await cli('services', 'delete', service.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('token-broker: service not found\n');
  });
});

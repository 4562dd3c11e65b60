import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startChildBroker, type ChildBroker } from '../support/child-broker.js';
import { createEmptyDatabase } from '../support/db.js';
import { startUpstream, type Upstream } from '../support/upstream.js';

const TIMEOUT_MS = 120_000;

/** The `sh` blocks of README's "First five minutes", in order. */
function firstFiveMinutes(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## First five minutes\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe("README's first five minutes", () => {
  let dir: string;
  let db: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let broker: ChildBroker;
  let upstream: Upstream;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tb-readme-'));
    db = await createEmptyDatabase();
    // As on a fresh clone: no secrets in the environment, generated under ./.data.
    broker = await startChildBroker(
      {
        DATABASE_URL: db.url,
        DATA_DIR: join(dir, '.data'),
        ADMIN_API_TOKEN: undefined,
        TOKEN_ENCRYPTION_KEYS: undefined,
      },
      { timeoutMs: 60_000 },
    );
    const port = new URL(broker.url).port;
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'readme-app',
          client_secret: 'readme-secret',
          redirect_uris: [`http://localhost:${port}/oauth/callback`],
        },
      ],
    });
    browser = await launchChromium();
  }, TIMEOUT_MS);
  afterAll(async () => {
    await browser?.close();
    await upstream?.close();
    await broker?.stop();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'runs top to bottom in a clean shell: provider, service, connect session, consent, token, proxy',
    async () => {
      const blocks = firstFiveMinutes();
      expect(blocks).toHaveLength(5);
      const port = new URL(broker.url).port;
      // Only what the reader supplies is replaced: their provider's line and the address.
      const script = blocks
        .map((block) =>
          block
            .replace(
              /^.*# ← yours$/m,
              `ISSUER=${upstream.issuer} CLIENT_ID=readme-app CLIENT_SECRET=readme-secret API_BASE=${upstream.issuer} API_PATH=me`,
            )
            .replaceAll('localhost:3000', `localhost:${port}`),
        )
        // Between step 4 and 5 the reader consents in a browser; here the test does.
        .join('\n')
        .replace(/^echo "open \$CONNECT_URL"$/m, '$&\nread -r _');
      // --norc: with a socket on stdin, Debian's bash would read /etc/bash.bashrc.
      const shell = spawn('bash', ['--norc', '-euo', 'pipefail', '-c', script], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
      });
      const exited = once(shell, 'exit');
      let stderr = '';
      shell.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const lines: string[] = [];
      const connectUrl = await new Promise<string>((ok, fail) => {
        shell.once('exit', () => fail(new Error(`the README stopped early: ${stderr}`)));
        createInterface({ input: shell.stdout }).on('line', (line) => {
          lines.push(line);
          if (line.startsWith('open ')) ok(line.slice('open '.length));
        });
      });

      const page = await (await browser.newContext()).newPage();
      await page.route('https://app.example.com/**', (r) =>
        r.fulfill({ contentType: 'text/html', body: '<h1>App</h1>' }),
      );
      await page.goto(connectUrl);
      await page.click('button[value=continue]');
      await page.fill('input[name=login]', 'reader');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
      await page.click('button:has-text("Continue")');
      await page.waitForURL('https://app.example.com/**');
      expect(new URL(page.url()).searchParams.get('status')).toBe('success');

      shell.stdin.end('\n');
      const [code] = (await exited) as [number | null];
      expect({ code, stderr }).toStrictEqual({ code: 0, stderr: '' });
      const output = lines.join('\n');
      // Step 2 shows the redirect URI to register; step 5 ends with the provider's answer.
      expect(output).toContain(`"redirect_uri": "http://localhost:${port}/oauth/callback"`);
      expect(output).toContain('"provider": "idp"');
      expect(JSON.parse(lines.at(-1)!)).toStrictEqual({ sub: 'reader' });
    },
    TIMEOUT_MS,
  );
});

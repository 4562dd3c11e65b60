import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { createWebhookWorker } from '../../src/webhooks/worker.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { createService } from '../connect/helpers.js';
import { connectByConsent } from '../proxy/support.js';
import { createEndpoint, fastWorker, startReceiver, type Receiver } from '../webhooks/receiver.js';
import { waitFor } from '../support/wait.js';
import { registerProvider } from '../support/factories.js';

const run = promisify(execFile);
const CLIENT_DIR = join(PROJECT_ROOT, 'clients/typescript');
// Packing builds the client and tsc checks the consumer: 20 s on an idle machine, over
// 100 s at a load of 15.
const SET_UP_MS = 300_000;

/** Where `name` is installed for a package in `from` (node_modules lookup, upwards). */
function installedDir(name: string, from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`${name} is not installed`);
  }
}

/** The installed folders of the client's runtime dependencies, transitively. */
async function dependencyDirs(): Promise<string[]> {
  const seen = new Map<string, string>();
  const visit = async (dir: string) => {
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      const found = installedDir(name, dir);
      if (seen.has(found)) continue;
      seen.set(found, name);
      await visit(found);
    }
  };
  await visit(CLIENT_DIR);
  return [...seen.keys()];
}

/**
 * Issue 22: the client as a user gets it. `npm pack` makes its tarball, which is
 * installed into a temporary project with its dependencies packed from this checkout's
 * node_modules (offline: the registry is never asked); a script there, type-checked
 * against the installed package and run by plain Node, uses it against a live broker
 * with a connection made by consent at a real OpenID provider.
 */
describe('the packed TypeScript client', () => {
  let broker: TestBroker;
  let upstream: Upstream;
  let receiver: Receiver;
  let project: string;
  let apiKey: string;
  let connectionId: string;
  let webhookSecret: string;

  beforeAll(async () => {
    broker = await startTestBroker({ jobs: (c) => [createWebhookWorker(c, fastWorker)] });
    upstream = await startUpstream({
      clients: [
        {
          client_id: 'broker',
          client_secret: 'broker-secret',
          redirect_uris: [`${broker.container.config.publicUrl}/oauth/callback`],
        },
      ],
    });
    receiver = await startReceiver();
    webhookSecret = (await createEndpoint(broker, { url: receiver.url })).secret;
    await registerProvider(broker, {
      key: 'idp',
      issuer: upstream.issuer,
      client_id: 'broker',
      client_secret: 'broker-secret',
      scopes: ['openid', 'offline_access', 'api'],
      authorization_params: { prompt: 'consent' },
      // oidc-provider is the resource server too: its userinfo endpoint is `/me`.
      api_base_url: upstream.issuer,
    });
    apiKey = (await createService(broker, ['idp'], 'client-test')).apiKey;
    connectionId = await connectByConsent(broker, apiKey, 'idp', 'alice');

    project = await mkdtemp(join(tmpdir(), 'client-consumer-'));
    const tarballs = join(project, 'tarballs');
    await mkdir(tarballs);
    await run('npm', ['pack', '--silent', '--pack-destination', tarballs], { cwd: CLIENT_DIR });
    // Installed packages carry their build already: their `prepare` scripts must not run.
    await run('npm', [
      'pack',
      '--silent',
      '--ignore-scripts',
      '--pack-destination',
      tarballs,
      ...(await dependencyDirs()),
    ]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const packed = (await readdir(tarballs)).map((file) => join(tarballs, file));
    await run(
      'npm',
      ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', ...packed],
      { cwd: project },
    );
    await cp(join(PROJECT_ROOT, 'test/clients/consumer/main.ts'), join(project, 'main.ts'));
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          types: ['node'],
          typeRoots: [join(PROJECT_ROOT, 'node_modules/@types')],
        },
        files: ['main.ts'],
      }),
    );
    await run(process.execPath, [join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc')], {
      cwd: project,
    });
  }, SET_UP_MS);

  afterAll(async () => {
    await receiver?.close();
    await upstream?.close();
    await broker?.close();
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('is installed from its tarball: dist, its README and package.json, nothing else', async () => {
    const { dependencies } = JSON.parse(await readFile(join(project, 'package.json'), 'utf8'));
    const installed = await readdir(join(project, 'node_modules/@token-broker/client'));
    expect(Object.keys(dependencies)).toContain('@token-broker/client');
    expect(installed.sort()).toStrictEqual(['README.md', 'dist', 'package.json']);
  });

  it('gets a token (then from cache), proxies, throws typed errors and verifies a broker webhook', async () => {
    const delivered = await waitFor(
      () => receiver.received.find((m) => JSON.parse(m.body).type === 'connection.created'),
      10_000,
      'the connection.created webhook',
    );
    await writeFile(
      join(project, 'input.json'),
      JSON.stringify({
        baseUrl: broker.url,
        apiKey,
        connectionId,
        webhook: {
          body: delivered.body,
          headers: {
            'webhook-id': delivered.id,
            'webhook-timestamp': delivered.timestamp,
            'webhook-signature': delivered.signature,
          },
          secret: webhookSecret,
        },
      }),
    );
    const { stdout } = await run(process.execPath, ['main.js', 'input.json'], { cwd: project });
    const seen = JSON.parse(stdout);

    expect(seen).toStrictEqual({
      token: {
        accessToken: expect.any(String),
        secondFromCache: true,
        requestsForTwoReads: 1,
        concurrentShareOne: true,
        requestsForThreeConcurrentReads: 1,
      },
      proxy: { status: 200, attempts: '1', body: { sub: 'alice' } },
      errors: {
        missing: {
          name: 'NotFoundError',
          code: 'not_found',
          status: 404,
          isBrokerError: true,
          isNotFound: true,
        },
        escaping: {
          name: 'InvalidRequestError',
          code: 'invalid_request',
          status: 400,
          isBrokerError: true,
          isInvalidRequest: true,
        },
      },
      connection: { id: connectionId, status: 'active' },
      webhook: { type: 'connection.created', connectionId, tamperedRefused: true },
      requests: [
        `GET /v1/connections/${connectionId}/token?min_ttl=120`,
        `GET /v1/connections/${connectionId}/token?min_ttl=60`,
        `GET /v1/connections/${connectionId}/proxy/me`,
        'GET /v1/connections/conn_missing/token?min_ttl=60',
        `GET /v1/connections/${connectionId}/proxy/a%2Fb`,
        `GET /v1/connections/${connectionId}`,
      ],
    });
    // The token the client handed out is the provider's live one, not a stand-in.
    const introspected = await upstream.introspect(
      'broker',
      'broker-secret',
      seen.token.accessToken,
    );
    expect(introspected.active).toBe(true);
    // The broker's own trail agrees: this service read the token twice (identical reads
    // within a second are one row with `detail.count`).
    const audit = await request(broker.url)
      .get('/admin/audit')
      .query({ connection_id: connectionId, action: 'token.read' })
      .auth(broker.adminToken, { type: 'bearer' })
      .expect(200);
    const counts = audit.body.data.map(
      (e: { detail: { count?: number } | null }) => e.detail?.count ?? 1,
    );
    expect(counts.reduce((a: number, b: number) => a + b, 0)).toBe(2);
  });
});

import { waitFor } from '../support/wait.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { tracing } from '@opentelemetry/sdk-node';
import request from 'supertest';
import { traceProviderCalls, withSpan } from '../../src/observability/spans.js';
import { redactPath, redactQuery, tracingEnabled } from '../../src/observability/tracing-config.js';
import { PROJECT_ROOT } from '../../src/paths.js';
import { brokerClient, createService } from '../tokens/support.js';
import { startTestBroker, testEncryptionKey } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream } from '../support/upstream.js';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string } }[];
}

describe('tracing switch', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, false],
    [{ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'console' }, false],
  ])('%j → %s', (env, enabled) => {
    expect(tracingEnabled(env)).toBe(enabled);
  });

  it('redacts connect session tokens and every query value', () => {
    expect(redactPath('/connect/cs_abc')).toBe('/connect/[redacted]');
    expect(redactPath('/v1/connections/conn_1/token')).toBe('/v1/connections/conn_1/token');
    expect(redactQuery('?code=abc&state=xyz&iss')).toBe(
      'code=[redacted]&state=[redacted]&iss=[redacted]',
    );
    expect(redactQuery('')).toBe('');
  });
});

describe('broker spans', () => {
  const exporter = new tracing.InMemorySpanExporter();
  beforeAll(() => {
    trace.setGlobalTracerProvider(
      new tracing.BasicTracerProvider({
        spanProcessors: [new tracing.SimpleSpanProcessor(exporter)],
      }),
    );
  });
  afterAll(() => trace.disable());
  beforeEach(() => exporter.reset());

  it('wraps provider calls in provider.<method> spans with the provider key only', async () => {
    const oauth = traceProviderCalls({
      refresh: (p: { key: string }, refreshToken: string) =>
        Promise.resolve(`${p.key}:${refreshToken.length}`),
      revoke: () => Promise.reject(new TypeError('provider said no')),
      configuration: (p: { key: string }) => Promise.resolve(p.key),
      version: () => 1,
    });
    await expect(oauth.refresh({ key: 'github' }, 'rt-secret')).resolves.toBe('github:9');
    await expect(oauth.revoke()).rejects.toThrow('provider said no');
    await oauth.configuration({ key: 'github' });
    expect(oauth.version()).toBe(1);
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes])).toStrictEqual([
      ['provider.refresh', { 'token_broker.provider': 'github' }],
    ]);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('rt-secret');
  });

  it('records a token.refresh span around the provider.refresh call of a forced refresh', async () => {
    const upstream = await startUpstream({ clients: [brokerClient] });
    const broker = await startTestBroker();
    try {
      const { keyring } = broker.container;
      const provider = await buildProvider(broker.db.prisma, keyring, upstream);
      const service = await createService(broker, [provider.key]);
      const issued = await upstream.issueTokens('broker', 'alice');
      const { id } = await buildConnection(broker.db.prisma, keyring, {
        providerKey: provider.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3600_000),
      });
      exporter.reset();
      await request(broker.url)
        .post(`/v1/connections/${id}/refresh`)
        .set(bearer(service.api_key))
        .expect(200);
      const spans = exporter.getFinishedSpans().map((s) => [s.name, s.attributes]);
      expect(spans).toEqual(
        expect.arrayContaining([
          ['provider.refresh', { 'token_broker.provider': provider.key }],
          [
            'token.refresh',
            { 'token_broker.provider': provider.key, 'token_broker.connection_id': id },
          ],
        ]),
      );
      expect(JSON.stringify(spans)).not.toContain(issued.refresh_token);
    } finally {
      await broker.close();
      await upstream.close();
    }
  });

  it('marks a failed withSpan with the error class, not its message', async () => {
    await expect(
      withSpan('token.refresh', { 'token_broker.provider': 'x' }, () =>
        Promise.reject(new RangeError('secret detail')),
      ),
    ).rejects.toThrow('secret detail');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('token.refresh');
    expect(span?.status).toStrictEqual({ code: 2, message: 'RangeError' });
  });
});

describe('tracing off (the default)', () => {
  it('writes no trace ids in the logs', async () => {
    const broker = await startTestBroker();
    await request(broker.url).get('/openapi.json').expect(200);
    await broker.close();
    const line = broker.logs.lines.find((l) => l.includes('"route":"/openapi.json"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('trace_id');
  });
});

describe('tracing on with OTEL_* variables', () => {
  let db: TestDatabase;
  let collector: Server;
  let child: ChildProcess | undefined;
  const spans: OtlpSpan[] = [];
  const bodies: string[] = [];
  let output = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    // A stand-in OTLP/HTTP collector (JSON protocol): a real one is not on this machine.
    collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        bodies.push(body);
        const parsed = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const r of parsed.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((ok) => collector.listen(0, '127.0.0.1', ok));
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await new Promise((ok) => collector.close(ok));
    await db.drop();
  });

  it('exports HTTP, Express and pg spans of one trace, and logs its trace id', async () => {
    const adminToken = 'a'.repeat(32);
    child = spawn(
      process.execPath,
      ['--import', 'tsx', '--import', './src/observability/tracing.ts', 'src/main.ts'],
      {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'test',
          PORT: '0',
          DATABASE_URL: db.url,
          TOKEN_ENCRYPTION_KEYS: testEncryptionKey(),
          ADMIN_API_TOKEN: adminToken,
          REFRESH_CRON: 'off',
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const port = await waitFor(() => /"port":(\d+)/.exec(output)?.[1], 20_000);
    const url = `http://127.0.0.1:${port}`;
    await request(url)
      .get('/admin/services')
      .set('Authorization', `Bearer ${adminToken}`)
      .expect(200);
    await request(url).get('/connect/cs_secret_session?code=secret_code').expect(404);

    const server = await waitFor(() => spans.find((s) => s.name === 'GET /admin/services'), 10_000);
    await waitFor(() => spans.find((s) => attr(s, 'url.path') === '/connect/[redacted]'), 10_000);
    const sameTrace = spans.filter((s) => s.traceId === server.traceId).map((s) => s.name);
    expect(sameTrace).toEqual(expect.arrayContaining(['request handler']));
    expect(sameTrace.some((n) => n.startsWith('pg.query'))).toBe(true);
    const requestLine = output.split('\n').find((l) => l.includes('"route":"/admin/services"'));
    expect(requestLine).toContain(`"trace_id":"${server.traceId}"`);
    expect(bodies.join('\n')).not.toMatch(/cs_secret_session|secret_code/);

    child.kill('SIGTERM');
    await waitFor(() => (child?.exitCode === null ? undefined : true), 10_000);
    expect(child.exitCode).toBe(0);
  }, 60_000);
});

const attr = (span: OtlpSpan, key: string) =>
  span.attributes.find((a) => a.key === key)?.value.stringValue;

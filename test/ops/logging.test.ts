import { spawn } from 'node:child_process';
import { once } from 'node:events';
import request from 'supertest';
import { createLogger } from '../../src/observability/logger.js';
import { CENSOR, censorSecrets, SECRET_FIELDS } from '../../src/observability/redact.js';
import {
  LogCapture,
  startTestBroker,
  testEncryptionKey,
  type TestBroker,
} from '../support/broker.js';
import { bearer, buildConnection } from '../support/factories.js';
import { createService } from '../tokens/support.js';
import { startChildBroker } from '../support/child-broker.js';
import { createEmptyDatabase } from '../support/db.js';

const SECRET = 'ya29.a-secret-value';

describe('censorSecrets', () => {
  it.each([...SECRET_FIELDS])('censors %s one, two and three levels deep', (field) => {
    const line = { [field]: SECRET, a: { [field]: SECRET }, b: { c: { [field]: SECRET } } };
    const censored = censorSecrets(line);
    expect(JSON.stringify(censored)).not.toContain(SECRET);
    expect(censored).toEqual({
      [field]: CENSOR,
      a: { [field]: CENSOR },
      b: { c: { [field]: CENSOR } },
    });
    // The caller's object is left as it was.
    expect(line[field]).toBe(SECRET);
  });

  it('censors inside arrays and whatever the case of the name', () => {
    const censored = censorSecrets({ list: [{ Authorization: SECRET }, 'plain'] });
    expect(censored).toEqual({ list: [{ Authorization: CENSOR }, 'plain'] });
  });

  it('hands back the very object when there is nothing to censor', () => {
    const line = {
      req_id: 'r1',
      route: '/v1/connections/:id/token',
      status: 200,
      nested: { a: 1 },
    };
    expect(censorSecrets(line)).toBe(line);
  });

  it("censors a child logger's bindings", () => {
    const capture = new LogCapture();
    createLogger({ level: 'info', destination: capture }).child({ token: SECRET }).info('x');
    expect(capture.text).toContain(CENSOR);
    expect(capture.text).not.toContain(SECRET);
  });
});

/** A connection with a valid token and a service that may read it (nothing upstream is called). */
async function readable(broker: TestBroker) {
  const key = `logs-${Math.random().toString(36).slice(2, 8)}`;
  await broker.db.prisma.provider.create({
    data: {
      key,
      displayName: 'Logs',
      issuer: 'http://127.0.0.1:9',
      metadata: { issuer: 'http://127.0.0.1:9', token_endpoint: 'http://127.0.0.1:9/token' },
      clientId: 'broker',
      clientAuthMethod: 'none',
      scopes: [],
    },
  });
  const connection = await buildConnection(broker.db.prisma, broker.container.keyring, {
    providerKey: key,
    accessToken: 'at-logs',
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const service = await createService(broker, [key]);
  return {
    read: (id: string, requestId: string) =>
      request(broker.url)
        .get(`/v1/connections/${id}/token`)
        .set('X-Request-Id', requestId)
        .set(bearer(service.api_key)),
    id: connection.id,
  };
}

const linesOf = (broker: TestBroker) =>
  broker.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the access log', () => {
  it('sums up successful token reads at info in one line, and logs their failures one by one', async () => {
    const broker = await startTestBroker({ env: { LOG_LEVEL: 'info' } });
    const { read, id } = await readable(broker);
    const ok = ['read-1', 'read-2', 'read-3'];
    for (const requestId of ok) await read(id, requestId).expect(200);
    await read('conn_missing', 'read-404').expect(404);
    await broker.close();
    const lines = linesOf(broker);
    const summaries = lines.filter((l) => l.msg === 'requests');
    expect(summaries).toEqual([
      expect.objectContaining({
        level: 'info',
        route: '/v1/connections/:id/token',
        status: 200,
        count: 3,
        ms_mean: expect.any(Number),
        ms_max: expect.any(Number),
        slowest_req_id: expect.any(String),
        window_s: expect.any(Number),
      }),
    ]);
    expect(ok).toContain(summaries[0]!.slowest_req_id);
    expect(lines.filter((l) => ok.includes(l.req_id as string))).toEqual([]);
    expect(lines.find((l) => l.req_id === 'read-404')).toMatchObject({
      msg: 'request',
      route: '/v1/connections/:id/token',
      status: 404,
    });
  });

  it('logs every request at debug, the fast path and Express alike, with its request id', async () => {
    const broker = await startTestBroker({ env: { LOG_LEVEL: 'debug' } });
    try {
      const { read, id } = await readable(broker);
      await read(id, 'fast-ok').expect(200);
      await request(broker.url)
        .get('/v1/connections/conn_x/token')
        .set('X-Request-Id', 'fast-1')
        .set('Authorization', `Bearer ${SECRET}`)
        .expect(401);
      await request(broker.url).get('/healthz').set('X-Request-Id', 'express-1').expect(200);
      const lines = () => broker.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const requestLine = (id: string) =>
        lines().find((l) => l.msg === 'request' && l.req_id === id);
      expect(requestLine('fast-1')).toMatchObject({
        route: '/v1/connections/:id/token',
        status: 401,
      });
      expect(requestLine('fast-ok')).toMatchObject({
        route: '/v1/connections/:id/token',
        status: 200,
      });
      expect(requestLine('express-1')).toMatchObject({ status: 200 });
      expect(lines().filter((l) => l.msg === 'requests')).toEqual([]);
      expect(broker.logs.text).not.toContain(SECRET);
    } finally {
      await broker.close();
    }
  });
});

/** Every line a process wrote to stdout, once its stdout has closed. */
async function outputOf(child: ReturnType<typeof spawn>): Promise<string> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'close');
  return out;
}

describe('buffered log lines reach the output', () => {
  it('when the process dies of an uncaught exception', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/ops/log-crash.ts', 'crash-1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const out = await outputOf(child);
    expect(child.exitCode).toBe(1);
    expect(out).toContain('"marker":"crash-1"');
  }, 30_000);

  it('on a graceful stop: the last request and the lines of the stop itself', async () => {
    const db = await createEmptyDatabase();
    try {
      const broker = await startChildBroker(
        { DATABASE_URL: db.url, TOKEN_ENCRYPTION_KEYS: testEncryptionKey(), LOG_LEVEL: 'info' },
        { timeoutMs: 45_000 },
      );
      const closed = once(broker.process, 'close');
      await request(broker.url).get('/healthz').set('X-Request-Id', 'last-before-stop').expect(200);
      await broker.stop();
      await closed;
      const log = broker.output.join('\n');
      expect(broker.process.exitCode).toBe(0);
      expect(log).toContain('"req_id":"last-before-stop"');
      expect(log).toContain('"msg":"shutting down"');
      expect(log).toContain('"msg":"token broker stopped"');
    } finally {
      await db.drop();
    }
  }, 60_000);
});

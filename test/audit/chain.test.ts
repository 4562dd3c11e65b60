import request from 'supertest';
import { createAuditLog, type AuditEntry } from '../../src/audit/audit-log.js';
import { verifyAuditChain } from '../../src/audit/verify.js';
import { createLogger } from '../../src/observability/logger.js';
import {
  LogCapture,
  startTestBroker,
  testEncryptionKey,
  type TestBroker,
} from '../support/broker.js';
import { runCli } from '../support/cli.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { bearer, buildConnection, buildProvider } from '../support/factories.js';
import { startUpstream, type Upstream } from '../support/upstream.js';
import { brokerClient, createService, type CreatedService } from '../tokens/support.js';
import { waitFor } from '../support/wait.js';

const silent = () => createLogger({ level: 'silent', destination: new LogCapture() });
const entry = (i: number, replica: string): AuditEntry => ({
  actorType: 'service',
  actorId: `svc_${replica}`,
  action: 'connection.revoke',
  connectionId: `conn_${i}`,
  providerKey: 'github',
  outcome: 'success',
  detail: { n: i, replica },
  origin: { requestId: `req-${replica}-${i}`, clientIp: '203.0.113.7' },
});

describe('audit entries could be changed, removed or reordered unnoticed (issue 19, item 5)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Two replicas writing concurrently append to one chain.
    const replicas = [
      createAuditLog({ pool: db.pool, logger: silent() }),
      createAuditLog({ pool: db.pool, logger: silent() }),
    ];
    for (let i = 0; i < 300; i++) {
      replicas[0]!.record(entry(i, 'a'));
      replicas[1]!.record(entry(i, 'b'));
      if (i % 50 === 0) await Promise.all(replicas.map((r) => r.flush()));
    }
    await Promise.all(replicas.map((r) => r.stop()));
  });
  afterAll(() => db.drop());

  const problems = async () => (await verifyAuditChain(db.pool)).problems.map((p) => p.problem);

  it('chains concurrent writers into one gapless sequence, with request id and client IP', async () => {
    const report = await verifyAuditChain(db.pool);
    expect(report).toMatchObject({ ok: true, rows: 600, problems: [], head: { seq: 600 } });
    const row = await db.prisma.auditEvent.findFirst({
      where: { connectionId: 'conn_7', actorId: 'svc_b' },
    });
    expect([row?.requestId, row?.clientIp]).toEqual(['req-b-7', '203.0.113.7']);
  });

  it('a changed row is reported', async () => {
    await db.pool.query(`UPDATE audit_events SET outcome = 'denied' WHERE seq = 10`);
    expect(await problems()).toEqual(['altered']);
    await db.pool.query(`UPDATE audit_events SET outcome = 'success' WHERE seq = 10`);
    const { rows } = await db.pool.query<{ detail: string }>(
      `SELECT detail::text FROM audit_events WHERE seq = 11`,
    );
    await db.pool.query(`UPDATE audit_events SET detail = '{"n": 999}' WHERE seq = 11`);
    expect(await problems()).toEqual(['altered']);
    await db.pool.query(`UPDATE audit_events SET detail = $1::jsonb WHERE seq = 11`, [
      rows[0]?.detail,
    ]);
    expect(await problems()).toEqual([]);
  });

  it('a reordered row is reported', async () => {
    const swap = (a: number, b: number) =>
      db.pool.query(
        `UPDATE audit_events SET seq = -1 WHERE seq = $1;
         UPDATE audit_events SET seq = $1 WHERE seq = $2;
         UPDATE audit_events SET seq = $2 WHERE seq = -1`
          .replace(/\$1/g, String(a))
          .replace(/\$2/g, String(b)),
      );
    await swap(20, 21);
    expect(await problems()).toEqual(expect.arrayContaining(['altered', 'broken_link']));
    await swap(20, 21);
    expect(await problems()).toEqual([]);
  });

  it('a removed row is reported, and so is a row slipped in outside the chain', async () => {
    await db.pool.query(`DELETE FROM audit_events WHERE seq = 300`);
    expect(await problems()).toContain('gap');
    await db.pool.query(
      `INSERT INTO audit_events (actor_type, action, outcome) VALUES ('admin', 'provider.update', 'success')`,
    );
    expect(await problems()).toContain('unchained');
  });

  it('`token-broker audit verify` exits 4 on a broken chain and names the problems', async () => {
    const run = await runCli(
      { DATABASE_URL: db.url, ADMIN_API_TOKEN: 'x'.repeat(32) },
      'audit',
      'verify',
    );
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/audit chain BROKEN/);
    expect(run.stdout).toMatch(/gap at seq 301/);
  });
});

describe('AUDIT_FAIL_CLOSED and the origin of token reads (issue 19, item 5)', () => {
  let upstream: Upstream;
  let closed: TestBroker;
  let open: TestBroker;
  let service: CreatedService;
  let connectionId: string;

  beforeAll(async () => {
    upstream = await startUpstream({ clients: [brokerClient], accessTokenTtl: 3600 });
    const keys = testEncryptionKey();
    closed = await startTestBroker({
      jobs: () => [],
      env: { AUDIT_FAIL_CLOSED: 'true', TRUST_PROXY: '1', TOKEN_ENCRYPTION_KEYS: keys },
    });
    open = await startTestBroker({
      db: closed.db,
      jobs: () => [],
      env: { ADMIN_API_TOKEN: closed.adminToken, TOKEN_ENCRYPTION_KEYS: keys },
    });
    const provider = await buildProvider(closed.db.prisma, closed.container.keyring, upstream);
    service = await createService(closed, [provider.key]);
    const issued = await upstream.issueTokens('broker', 'audited');
    connectionId = (
      await buildConnection(closed.db.prisma, closed.container.keyring, {
        providerKey: provider.key,
        accessToken: issued.access_token,
        refreshToken: issued.refresh_token,
        expiresAt: new Date(Date.now() + 3_600_000),
      })
    ).id;
  });
  afterAll(async () => {
    await open.close();
    await closed.close();
    await upstream.close();
  });

  const read = (broker: TestBroker, headers: Record<string, string> = {}) =>
    request(broker.url)
      .get(`/v1/connections/${connectionId}/token`)
      .set(bearer(service.api_key))
      .set(headers);

  it('every entry carries the request id and the client IP behind TRUST_PROXY hops', async () => {
    await read(closed, {
      'X-Request-Id': 'req-fast-1',
      'X-Forwarded-For': '198.51.100.1, 203.0.113.9',
    }).expect(200);
    await closed.container.audit.flush();
    const row = await closed.db.prisma.auditEvent.findFirst({
      where: { connectionId, action: 'token.read', requestId: 'req-fast-1' },
    });
    expect(row?.clientIp).toBe('203.0.113.9');
    const listed = await request(closed.url)
      .get('/admin/audit')
      .query({ connection_id: connectionId })
      .set(bearer(closed.adminToken))
      .expect(200);
    expect(listed.body.data[0]).toMatchObject({
      request_id: 'req-fast-1',
      client_ip: '203.0.113.9',
    });
  });

  it('with AUDIT_FAIL_CLOSED token reads answer 503 while audit entries cannot be written, and nothing is dropped', async () => {
    const before = await closed.db.prisma.auditEvent.count({ where: { connectionId } });
    // A real write failure: every new audit row violates a constraint; reads still work.
    await closed.db.pool.query(
      `ALTER TABLE audit_events ADD CONSTRAINT audit_down CHECK (false) NOT VALID`,
    );
    try {
      const refused = await waitFor(
        async () => {
          const res = await read(closed, { 'X-Request-Id': `req-during-${Date.now()}` });
          return res.status === 503 ? res : undefined;
        },
        5_000,
        'the fail-closed 503',
      );
      expect(refused.body).toStrictEqual({
        error: 'upstream_unavailable',
        error_description: expect.any(String),
      });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // The default (fail-open) replica keeps serving meanwhile.
      await read(open).expect(200);
    } finally {
      await closed.db.pool.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_down`);
    }
    await waitFor(async () => (await read(closed)).status === 200, 5_000, 'reads again');
    await closed.container.audit.flush();
    await open.container.audit.flush();
    // The reads served before the failure was noticed were buffered, then written.
    const during = await closed.db.prisma.auditEvent.count({
      where: { connectionId, requestId: { startsWith: 'req-during-' }, outcome: 'success' },
    });
    expect(during).toBeGreaterThanOrEqual(1);
    expect(await closed.db.prisma.auditEvent.count({ where: { connectionId } })).toBeGreaterThan(
      before,
    );
    expect((await verifyAuditChain(closed.db.pool)).ok).toBe(true);
  });
});

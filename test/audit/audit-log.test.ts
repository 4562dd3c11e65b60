import { createAuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/observability/logger.js';
import { LogCapture } from '../support/broker.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

describe('audit log writer', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('writes repeated identical reads of one window as one row with a count', async () => {
    const audit = createAuditLog({
      pool: db.pool,
      logger: createLogger({ level: 'silent', destination: new LogCapture() }),
    });
    const read = {
      actorType: 'service' as const,
      actorId: 'svc_a',
      action: 'token.read',
      connectionId: 'conn_1',
      providerKey: 'github',
      outcome: 'success',
    };
    for (let i = 0; i < 100; i++) audit.record(read);
    audit.record({ ...read, actorId: 'svc_b' });
    audit.record({ ...read, outcome: 'revoked' });
    audit.record({
      ...read,
      action: 'connection.revoke',
      detail: { upstream_revocation: 'succeeded' },
    });
    await audit.stop();

    const rows = await db.prisma.auditEvent.findMany({ orderBy: { id: 'asc' } });
    const shape = rows.map((r) => [r.actorId, r.action, r.outcome, r.detail]);
    expect(shape).toHaveLength(4);
    expect(shape).toEqual(
      expect.arrayContaining([
        ['svc_a', 'token.read', 'success', { count: 100, last_at: expect.any(String) }],
        ['svc_b', 'token.read', 'success', {}],
        ['svc_a', 'token.read', 'revoked', {}],
        ['svc_a', 'connection.revoke', 'success', { upstream_revocation: 'succeeded' }],
      ]),
    );
  });
});

import { createHash, randomBytes } from 'node:crypto';
import {
  EXPIRED_ROW_GRACE_MS,
  pruneExpired,
  pruneWebhookHistory,
} from '../../src/db/housekeeping.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const now = new Date('2026-06-01T12:00:00Z');
const clock = { now: () => now };
const ago = (ms: number) => new Date(now.getTime() - ms);
const bytes = () => createHash('sha256').update(randomBytes(16)).digest();

describe('housekeeping', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.prisma.service.create({
      data: { id: 'svc_h', name: 'h', clientId: 'svc_h', clientSecretHash: bytes() },
    });
  });
  afterAll(() => db.drop());

  const session = (id: string, expiresAt: Date) =>
    db.prisma.connectSession.create({
      data: {
        id,
        tokenHash: bytes(),
        serviceId: 'svc_h',
        providerKey: 'github',
        subject: id,
        expiresAt,
        flows: {
          create: {
            id: `flow_${id}`,
            stateHash: bytes(),
            browserHash: bytes(),
            keyId: 'k1',
            codeVerifier: bytes(),
            expiresAt,
          },
        },
      },
    });

  const device = (id: string, expiresAt: Date) =>
    db.prisma.deviceSession.create({
      data: {
        id,
        serviceId: 'svc_h',
        providerKey: 'github',
        subject: id,
        keyId: 'k1',
        deviceCode: bytes(),
        userCode: 'ABCD-EFGH',
        verificationUri: 'https://example.com/device',
        status: 'expired',
        nextPollAt: expiresAt,
        expiresAt,
      },
    });

  it('deletes sessions that expired more than a day ago (flows with them) and expired sign-outs, and keeps the rest', async () => {
    const day = EXPIRED_ROW_GRACE_MS;
    await session('cs_old', ago(day + 60_000));
    await session('cs_older', ago(7 * day));
    await session('cs_recently_expired', ago(day - 60_000));
    await session('cs_live', new Date(now.getTime() + 600_000));
    await device('ds_old', ago(2 * day));
    await device('ds_recent', ago(60_000));
    await db.prisma.consoleSignOut.createMany({
      data: [
        { nonce: 'expired', expiresAt: ago(1_000) },
        { nonce: 'live', expiresAt: new Date(now.getTime() + 1_000) },
      ],
    });

    expect(await pruneExpired({ pool: db.pool, clock })).toEqual({
      connect_sessions: 2,
      device_sessions: 1,
      console_sign_outs: 1,
    });

    const sessions = await db.prisma.connectSession.findMany({ orderBy: { id: 'asc' } });
    expect(sessions.map((s) => s.id)).toEqual(['cs_live', 'cs_recently_expired']);
    const flows = await db.prisma.oAuthFlow.findMany({ orderBy: { id: 'asc' } });
    expect(flows.map((f) => f.id)).toEqual(['flow_cs_live', 'flow_cs_recently_expired']);
    const devices = await db.prisma.deviceSession.findMany();
    expect(devices.map((d) => d.id)).toEqual(['ds_recent']);
    const signOuts = await db.prisma.consoleSignOut.findMany();
    expect(signOuts.map((s) => s.nonce)).toEqual(['live']);

    // Nothing left to do: a second run (or another replica's) deletes nothing.
    expect(await pruneExpired({ pool: db.pool, clock })).toEqual({
      connect_sessions: 0,
      device_sessions: 0,
      console_sign_outs: 0,
    });
  });

  it('webhook_events and webhook_deliveries were never pruned: history past the retention goes, pending deliveries stay', async () => {
    const day = 24 * 3_600_000;
    await db.prisma.webhookEndpoint.create({
      data: { id: 'we_h', url: 'https://hooks.example.com', keyId: 'k1', secret: bytes() },
    });
    const event = (id: string, createdAt: Date, dispatched = true) =>
      db.prisma.webhookEvent.create({
        data: {
          id,
          type: 'connection.created',
          payload: {},
          createdAt,
          ...(dispatched ? { dispatchedAt: createdAt } : {}),
        },
      });
    const delivery = (id: string, eventId: string, status: string, updatedAt: Date) =>
      db.prisma.webhookDelivery.create({
        data: { id, eventId, endpointId: 'we_h', status, createdAt: updatedAt, updatedAt },
      });
    await event('ev_old', ago(31 * day));
    await delivery('wd_old_delivered', 'ev_old', 'delivered', ago(31 * day));
    await event('ev_old_failed', ago(40 * day));
    await delivery('wd_old_failed', 'ev_old_failed', 'failed', ago(35 * day));
    await event('ev_old_pending', ago(31 * day));
    await delivery('wd_old_pending', 'ev_old_pending', 'pending', ago(31 * day));
    await event('ev_old_undispatched', ago(31 * day), false);
    await event('ev_recent', ago(29 * day));
    await delivery('wd_recent', 'ev_recent', 'delivered', ago(29 * day));

    expect(await pruneWebhookHistory({ pool: db.pool, clock, retentionDays: 30 })).toEqual({
      webhook_deliveries: 2,
      webhook_events: 2,
    });
    const events = await db.prisma.webhookEvent.findMany({ orderBy: { id: 'asc' } });
    expect(events.map((e) => e.id)).toEqual(['ev_old_pending', 'ev_old_undispatched', 'ev_recent']);
    const deliveries = await db.prisma.webhookDelivery.findMany({ orderBy: { id: 'asc' } });
    expect(deliveries.map((d) => d.id)).toEqual(['wd_old_pending', 'wd_recent']);
  });
});

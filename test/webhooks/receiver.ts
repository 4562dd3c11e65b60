import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { WebhookWorkerOptions } from '../../src/webhooks/worker.js';
import { enqueueEvent, type WebhookEventType } from '../../src/webhooks/outbox.js';
import type { TestBroker } from '../support/broker.js';

/** One request the receiver got. */
export interface Received {
  at: number;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  headers: IncomingHttpHeaders;
}

/** What the receiver answers to its n-th request (0-based). */
export type Responder = (
  n: number,
  message: Received,
) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/**
 * A real HTTP webhook receiver on 127.0.0.1. It can be stopped and started again on the
 * same port (receiver down, then back), and answers what `respond` says.
 */
export async function startReceiver(respond: Responder = () => ({ status: 204 })) {
  const received: Received[] = [];
  let server: Server | undefined;
  let port = 0;
  const hanging = new Set<() => void>();
  const receiver = {
    received,
    respond,
    get url() {
      return `http://127.0.0.1:${port}/hook`;
    },
    async listen() {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const message: Received = {
            at: Date.now(),
            id: String(req.headers['webhook-id']),
            timestamp: String(req.headers['webhook-timestamp']),
            signature: String(req.headers['webhook-signature']),
            body: Buffer.concat(chunks).toString('utf8'),
            headers: req.headers,
          };
          received.push(message);
          const answer = receiver.respond(received.length - 1, message);
          if (answer === 'hang') {
            hanging.add(() => res.destroy());
            return;
          }
          res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
        });
      });
      await new Promise<void>((ok) => server?.listen(port, '127.0.0.1', ok));
      port = (server.address() as AddressInfo).port;
    },
    async close() {
      for (const drop of hanging) drop();
      hanging.clear();
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((ok) => s.close(() => ok()));
    },
  };
  await receiver.listen();
  return receiver;
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/**
 * Verifies a message the way a receiver should (Standard Webhooks): any `v1,` signature
 * in the header matching HMAC-SHA256 of `id.timestamp.body` under the secret's key.
 */
export function verifySignature(secret: string, m: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${m.id}.${m.timestamp}.${m.body}`).digest();
  return m.signature.split(' ').some((part) => {
    const [version, sig] = part.split(',');
    const given = Buffer.from(sig ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** Short timings so retry tests take seconds, not hours. */
export const fastWorker: WebhookWorkerOptions = {
  schedule: [200, 300, 400, 500, 600, 700],
  pollIntervalMs: 100,
  timeoutMs: 1_000,
  leaseMs: 2_000,
  stopGraceMs: 500,
};

/** Registers an endpoint through the admin API; returns its id and secret. */
export async function createEndpoint(
  broker: TestBroker,
  body: { url: string; events?: string[] },
): Promise<{ id: string; secret: string }> {
  const res = await request(broker.url)
    .post('/admin/webhooks')
    .auth(broker.adminToken, { type: 'bearer' })
    .send(body)
    .expect(201);
  return res.body as { id: string; secret: string };
}

/** Writes one event into the outbox the way a domain transaction does. */
export function emit(
  broker: TestBroker,
  type: WebhookEventType = 'connection.created',
  connectionId = 'conn_test',
): Promise<string> {
  return broker.db.prisma.$transaction((tx) =>
    enqueueEvent(tx, type, {
      connection_id: connectionId,
      service_id: 'svc_test',
      provider: 'github',
      subject: 'user-1',
      status: 'active',
    }),
  );
}

/** The delivery rows of one event, straight from the database. */
export function deliveriesOf(broker: TestBroker, eventId: string) {
  return broker.db.prisma.webhookDelivery.findMany({ where: { eventId } });
}

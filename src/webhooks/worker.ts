import pg from 'pg';
import type { BackgroundJob } from '../interval-job.js';
import type { Clock } from '../clock.js';
import type { ResolvedConfig } from '../config/index.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../observability/logger.js';
import type { Keyring } from '../vault/keyring.js';
import { webhookBacklog, webhookDeliveries } from '../observability/metrics.js';
import { signingSecrets } from './endpoints.js';
import { sealedPayloadContext, WEBHOOK_CHANNEL } from './outbox.js';
import {
  backlogSize,
  claimDeliveries,
  disableIfDead,
  dispatchEvents,
  markEndpoint,
  recordAttempt,
  releaseClaim,
  type ClaimedDelivery,
} from './queue.js';
import { DEFAULT_RETRY_SCHEDULE_MS, verdict } from './retry-policy.js';
import { send } from './sender.js';
import { signatureHeader } from './signing.js';

export interface WebhookWorkerOptions {
  /** Delays before each retry (ms); DEFAULT_RETRY_SCHEDULE_MS unless given. */
  schedule?: readonly number[];
  /** How often to look for work when no NOTIFY arrives. */
  pollIntervalMs?: number;
  /** Whole-request timeout of one POST. */
  timeoutMs?: number;
  /** How long a claim is held; must outlast `timeoutMs`. */
  leaseMs?: number;
  /** Deliveries in flight at once on this replica. */
  concurrency?: number;
  /** On stop, how long in-flight deliveries may finish before they are aborted and released. */
  stopGraceMs?: number;
  /** Listen for Postgres NOTIFY to deliver new events at once (default true). */
  listen?: boolean;
}

const BACKLOG_EVERY_MS = 5_000;
const RELISTEN_EVERY_MS = 5_000;

/** What the worker needs; the container provides it. */
export interface WorkerDeps {
  config: ResolvedConfig;
  db: Database;
  keyring: Keyring;
  logger: Logger;
  clock: Clock;
}

/**
 * The webhook worker, one per replica: fans new outbox events into deliveries, then
 * claims due deliveries (SKIP LOCKED + lease) and POSTs them signed, retrying on the
 * schedule. Wakes on Postgres NOTIFY from `enqueueEvent` and polls as a fallback.
 *
 * @example
 * startBroker(config, logger, { jobs: (c) => [createWebhookWorker(c)] });
 */
export function createWebhookWorker(
  c: WorkerDeps,
  options: WebhookWorkerOptions = {},
): BackgroundJob {
  const pool = c.db.pool;
  const schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const pollMs = options.pollIntervalMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const leaseMs = Math.max(options.leaseMs ?? 60_000, timeoutMs + 1_000);
  const concurrency = options.concurrency ?? 8;
  const stopGraceMs = options.stopGraceMs ?? 5_000;
  const log = c.logger.child({ job: 'webhooks' });
  const abort = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let lastBacklogAt = 0;
  let listener: pg.Client | undefined;
  let lastListenAt = 0;

  async function deliver(d: ClaimedDelivery): Promise<void> {
    const now = c.clock.now();
    const secrets = signingSecrets({ ...d, id: d.endpointId }, c.keyring, now);
    const body =
      d.sealedPayload && d.eventKeyId
        ? c.keyring.decrypt(d.sealedPayload, d.eventKeyId, sealedPayloadContext(d.eventId))
        : JSON.stringify(d.payload);
    const timestamp = Math.floor(now.getTime() / 1000);
    const result = await send({
      url: d.url,
      body,
      timeoutMs,
      allowPrivate: c.config.webhookAllowPrivateUrls,
      signal: abort.signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'token-broker-webhooks/1',
        'webhook-id': d.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(
          secrets.previous === undefined ? [secrets.current] : [secrets.current, secrets.previous],
          d.eventId,
          timestamp,
          body,
        ),
      },
    });
    if (result.error === 'aborted') {
      await releaseClaim(pool, d);
      return;
    }
    const v = verdict(result, d.attempts, schedule);
    const at = c.clock.now();
    const error = result.error ?? (v.kind === 'delivered' ? null : `http_${String(result.status)}`);
    const status = v.kind === 'retry' ? 'pending' : v.kind;
    const recorded = await recordAttempt(
      pool,
      d,
      {
        status,
        nextAttemptAt: v.kind === 'retry' ? new Date(at.getTime() + v.delayMs) : at,
        statusCode: result.status ?? null,
        latencyMs: result.latencyMs,
        error,
        response: result.bodyPrefix ?? null,
      },
      at,
    );
    if (!recorded) return;
    webhookDeliveries.inc({ outcome: v.kind });
    await markEndpoint(pool, d.endpointId, v.kind === 'delivered', at);
    const fields = {
      delivery_id: d.id,
      event_id: d.eventId,
      endpoint_id: d.endpointId,
      attempt: d.attempts,
      status_code: result.status,
      latency_ms: result.latencyMs,
      error,
    };
    if (v.kind === 'delivered') log.info(fields, 'webhook delivered');
    else if (v.kind === 'retry') log.info({ ...fields, retry_in_ms: v.delayMs }, 'webhook retry');
    else {
      log.warn({ ...fields, reason: v.reason }, 'webhook delivery failed');
      if (v.reason === 'exhausted') {
        const since = await disableIfDead(pool, d, error ?? 'unknown', at);
        if (since) {
          log.error(
            { endpoint_id: d.endpointId, failing_since: since.toISOString() },
            'webhook endpoint disabled after failing continuously',
          );
        }
      }
    }
  }

  function track(d: ClaimedDelivery) {
    const p = deliver(d).catch((error: unknown) => {
      // The lease runs out and another attempt follows; nothing is lost.
      log.error({ delivery_id: d.id, err: (error as Error).message }, 'webhook delivery crashed');
    });
    inFlight.add(p);
    void p.finally(() => {
      inFlight.delete(p);
      wake();
    });
  }

  async function ensureListener() {
    if (options.listen === false || listener || Date.now() - lastListenAt < RELISTEN_EVERY_MS)
      return;
    lastListenAt = Date.now();
    const client = new pg.Client({ connectionString: c.config.databaseUrl });
    client.on('error', (error: Error) => {
      log.warn({ err: error.message }, 'webhook NOTIFY listener lost; polling until it is back');
      if (listener === client) listener = undefined;
    });
    client.on('notification', () => wake());
    try {
      await client.connect();
      await client.query(`LISTEN ${WEBHOOK_CHANNEL}`);
      if (stopped) await client.end();
      else listener = client;
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'webhook NOTIFY listener failed to start');
      await client.end().catch(() => undefined);
    }
  }

  async function tick(): Promise<void> {
    try {
      await ensureListener();
      do {
        again = false;
        const now = c.clock.now();
        if ((await dispatchEvents(pool, now)) > 0) again = true;
        const free = concurrency - inFlight.size;
        if (free > 0 && !stopped) {
          const claimed = await claimDeliveries(pool, now, leaseMs, free);
          for (const d of claimed) track(d);
          if (claimed.length === free) again = true;
        }
      } while (again && !stopped && inFlight.size < concurrency);
      if (Date.now() - lastBacklogAt >= BACKLOG_EVERY_MS) {
        lastBacklogAt = Date.now();
        webhookBacklog.set(await backlogSize(pool));
      }
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'webhook worker pass failed; will retry');
    }
  }

  function wake() {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = tick().finally(() => {
      running = undefined;
      if (stopped) return;
      if (again) setImmediate(wake);
      else timer = setTimeout(wake, pollMs);
    });
  }

  return {
    start() {
      wake();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      const grace = setTimeout(() => abort.abort(), stopGraceMs);
      await Promise.allSettled([...inFlight]);
      clearTimeout(grace);
      await listener?.end().catch(() => undefined);
    },
  };
}

import pg from 'pg';
import type { Logger } from '../observability/logger.js';

/** Channels the database triggers notify (migration `cache_invalidation`); payload: an id. */
export const CHANGE_CHANNELS = [
  'token_broker_connection',
  'token_broker_service',
  // Payload: a proxy rate-limit scope (migration `proxy`).
  'token_broker_proxy_rate_limit',
] as const;
export type ChangeChannel = (typeof CHANGE_CHANNELS)[number];

/** `application_name` of the listening connection (to find it in `pg_stat_activity`). */
export const CHANGE_FEED_APPLICATION = 'token-broker-change-feed';

/** How often the listening connection proves it is alive (and has delivered every notification). */
const HEARTBEAT_MS = 200;
/**
 * Caches may answer only while a heartbeat started within this window has come back: every
 * notification committed before that heartbeat started was handled before its reply, so a
 * cached entry is never more than this much behind the database (API.md allows 1 s).
 */
const FRESHNESS_MS = 600;
const RECONNECT_MS = { min: 100, max: 5_000 };

/**
 * One dedicated Postgres connection LISTENing to the invalidation channels, telling the
 * process's caches which entries changed on any replica. Fail safe: while the connection
 * is down or slow to answer its heartbeat, `fresh()` is false and caches must go to the
 * database; on every reconnect `onReset` listeners drop everything they hold.
 *
 * @example
 * const feed = createChangeFeed({ url: config.databaseUrl, logger });
 * feed.on('token_broker_connection', (id) => cache.delete(id));
 * feed.start();
 * if (feed.fresh()) … // the cache may answer
 */
export function createChangeFeed(deps: { url: string; logger: Logger }) {
  const listeners = new Map<ChangeChannel, ((id: string) => void)[]>();
  const resets: (() => void)[] = [];
  let client: pg.Client | undefined;
  let stopped = true;
  let confirmedAt = 0;
  let heartbeat: NodeJS.Timeout | undefined;
  let reconnect: NodeJS.Timeout | undefined;
  let failures = 0;

  const reset = () => {
    confirmedAt = 0;
    for (const fn of resets) fn();
  };

  function notify(msg: pg.Notification) {
    const fns = listeners.get(msg.channel as ChangeChannel);
    if (!fns || msg.payload === undefined) return;
    for (const fn of fns) fn(msg.payload);
  }

  let beating = false;
  async function beat(c: pg.Client) {
    if (beating) return;
    beating = true;
    const started = Date.now();
    try {
      await c.query('SELECT 1');
      if (c === client) confirmedAt = Math.max(confirmedAt, started);
    } catch {
      // The 'error' / 'end' handler reconnects.
    } finally {
      beating = false;
    }
  }

  function drop(c: pg.Client, reason: string) {
    if (c !== client) return;
    client = undefined;
    clearInterval(heartbeat);
    reset();
    c.removeAllListeners('notification');
    c.end().catch(() => undefined);
    if (stopped) return;
    const delay = Math.min(RECONNECT_MS.min * 2 ** failures++, RECONNECT_MS.max);
    deps.logger.warn({ reason, retry_ms: delay }, 'change feed lost; caches disabled');
    reconnect = setTimeout(() => void connect(), delay);
  }

  async function connect() {
    if (stopped) return;
    const c = new pg.Client({
      connectionString: deps.url,
      keepAlive: true,
      application_name: CHANGE_FEED_APPLICATION,
    });
    client = c;
    c.on('error', (error) => drop(c, error.message));
    c.on('end', () => drop(c, 'connection ended'));
    c.on('notification', notify);
    try {
      await c.connect();
      for (const channel of CHANGE_CHANNELS) await c.query(`LISTEN ${channel}`);
    } catch (error) {
      drop(c, (error as Error).message);
      return;
    }
    if (c !== client) return;
    // Anything may have changed while nobody listened.
    reset();
    failures = 0;
    heartbeat = setInterval(() => void beat(c), HEARTBEAT_MS);
    heartbeat.unref();
    await beat(c);
  }

  return {
    /** Starts listening (caches stay off until the first heartbeat comes back). */
    start(): void {
      if (!stopped) return;
      stopped = false;
      void connect();
    },

    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(reconnect);
      clearInterval(heartbeat);
      const c = client;
      client = undefined;
      reset();
      await c?.end().catch(() => undefined);
    },

    /** True while cached state may be served: listening, and heard from within {@link FRESHNESS_MS}. */
    fresh(): boolean {
      return Date.now() - confirmedAt < FRESHNESS_MS;
    },

    /** Calls `fn` with the id of every changed row announced on `channel`. */
    on(channel: ChangeChannel, fn: (id: string) => void): void {
      listeners.set(channel, [...(listeners.get(channel) ?? []), fn]);
    },

    /**
     * Tells this process's caches about a change it just committed, without waiting for the
     * notification to come back (read-your-writes on the replica that made the change).
     */
    announce(channel: ChangeChannel, id: string): void {
      for (const fn of listeners.get(channel) ?? []) fn(id);
    },

    /** Calls `fn` whenever notifications may have been missed (connection lost or renewed). */
    onReset(fn: () => void): void {
      resets.push(fn);
    },
  };
}

export type ChangeFeed = ReturnType<typeof createChangeFeed>;

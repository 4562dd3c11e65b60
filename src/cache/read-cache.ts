import { Counter } from 'prom-client';
import { registry } from '../observability/metrics.js';
import type { Eventually } from '../eventually.js';
import type { ChangeChannel, ChangeFeed } from './change-feed.js';

type Outcome = 'hit' | 'miss' | 'off';
interface Count {
  cache: string;
  result: Outcome;
  n: number;
  reported: number;
}
/** Plain counts on the hot path; copied into the Prometheus counter only when scraped. */
const counts: Count[] = [];
const countsOf = (cache: string) => {
  const made = (result: Outcome) => {
    const c: Count = { cache, result, n: 0, reported: 0 };
    counts.push(c);
    return c;
  };
  return { hit: made('hit'), miss: made('miss'), off: made('off') };
};

new Counter({
  name: 'token_broker_cache_lookups_total',
  help: 'Read cache lookups by cache and result: hit, miss, off (change feed not fresh: database read)',
  labelNames: ['cache', 'result'] as const,
  registers: [registry],
  collect() {
    for (const c of counts) {
      if (c.n === 0) continue;
      this.inc({ cache: c.cache, result: c.result }, c.n - c.reported);
      c.reported = c.n;
    }
  },
});

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A bounded in-memory cache that answers only while the change feed is fresh, drops an
 * entry when its id is announced on `channel`, and never stores a value loaded while an
 * invalidation arrived (it might predate the change). Misses and unusable states go to
 * `load`, so the cache can only make a read faster, never different.
 *
 * @example
 * const snapshots = createReadCache<TokenSnapshot>({ name: 'snapshot', feed, channel: 'token_broker_connection', ttlMs: 5000, maxEntries: 100_000 });
 * const snap = await snapshots.get(id, () => store.snapshot(id));
 */
export function createReadCache<V>(opts: {
  /** Label of the lookup metric. */
  name: string;
  feed: ChangeFeed;
  channel: ChangeChannel;
  ttlMs: number;
  maxEntries: number;
  /** The id announced on `channel` that invalidates an entry; defaults to its key. */
  idOf?: (key: string, value: V) => string;
}) {
  const entries = new Map<string, Entry<V>>();
  const counted = countsOf(opts.name);
  let generation = 0;

  const clear = () => {
    generation++;
    entries.clear();
  };
  opts.feed.onReset(clear);
  opts.feed.on(opts.channel, (id) => {
    generation++;
    if (!opts.idOf) {
      entries.delete(id);
      return;
    }
    for (const [key, entry] of entries) {
      if (opts.idOf(key, entry.value) === id) entries.delete(key);
    }
  });

  function set(key: string, value: V) {
    if (entries.size >= opts.maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    // Spread over the last quarter of the TTL: entries loaded together (a warm-up, a
    // restart) would otherwise all expire in the same instant and queue on the pool at once.
    entries.set(key, { value, expiresAt: Date.now() + opts.ttlMs * (0.75 + Math.random() / 4) });
  }

  return {
    /**
     * The cached value when usable (at once, no promise: the token read's hot path), else
     * `load()`'s (cached unless undefined or overtaken).
     */
    get(key: string, load: () => Promise<V | undefined>): Eventually<V | undefined> {
      const usable = opts.feed.fresh();
      if (usable) {
        const hit = entries.get(key);
        if (hit && hit.expiresAt > Date.now()) {
          counted.hit.n++;
          return hit.value;
        }
      }
      counted[usable ? 'miss' : 'off'].n++;
      const seen = generation;
      return load().then((value) => {
        if (value !== undefined && usable && seen === generation && opts.feed.fresh()) {
          set(key, value);
        }
        return value;
      });
    },

    /** Drops one entry on this replica (the others hear of the change from the database). */
    delete(key: string): void {
      generation++;
      entries.delete(key);
    },

    clear,
  };
}

export type ReadCache<V> = ReturnType<typeof createReadCache<V>>;

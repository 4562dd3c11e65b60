import { Pool } from 'undici';
import { publicOnlyLookup } from '../webhooks/destination.js';

/** Origins kept open at once; a catalog of per-tenant hosts (Shopify shops) stays bounded. */
const MAX_ORIGINS = 1_000;
/** Idle keep-alive sockets are closed after this long (most APIs keep theirs 60 s or more). */
const KEEP_ALIVE_MS = 30_000;

/**
 * One undici `Pool` per upstream origin, keep-alive, created on first use. Where private
 * destinations are refused (production), every connection's address is checked as it is
 * connected to (`publicOnlyLookup`), as for the provider's token endpoint.
 *
 * @example const pool = createUpstreamPools({ allowPrivate: false, connections: 64 }).get('https://api.github.com');
 */
export function createUpstreamPools(options: { allowPrivate: boolean; connections: number }) {
  const pools = new Map<string, Pool>();
  return {
    get(origin: string): Pool {
      const known = pools.get(origin);
      if (known) {
        // Most recently used last: the first key is the one to evict.
        pools.delete(origin);
        pools.set(origin, known);
        return known;
      }
      if (pools.size >= MAX_ORIGINS) {
        const [oldest, pool] = pools.entries().next().value as [string, Pool];
        pools.delete(oldest);
        void pool.close().catch(() => undefined);
      }
      const pool = new Pool(origin, {
        connections: options.connections,
        keepAliveTimeout: KEEP_ALIVE_MS,
        ...(options.allowPrivate ? {} : { connect: { lookup: publicOnlyLookup } }),
      });
      pools.set(origin, pool);
      return pool;
    },
    /** Closes every pool (graceful shutdown). */
    async close(): Promise<void> {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((p) => p.close().catch(() => undefined)));
    },
  };
}

export type UpstreamPools = ReturnType<typeof createUpstreamPools>;

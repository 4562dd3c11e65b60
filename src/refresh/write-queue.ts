import { setTimeout as sleep } from 'node:timers/promises';

/** Attempts to store a group after its first commit failed (the provider is not asked again). */
const WRITE_RETRIES = 3;
/**
 * Groups stored at once. A result waits only when this many are being stored: a rotated
 * refresh token the provider has issued is lost if the process dies before it is stored,
 * so results must not queue behind one slow commit.
 */
const PARALLEL_WRITES = 4;

interface Queued<T> {
  item: T;
  done(written: boolean): void;
  fail(error: unknown): void;
}

/**
 * Groups writes that arrive while the database is busy into the next statement: every
 * result is stored as soon as a write is free (nothing waits for a batch to fill), and
 * under load each statement carries all that came meanwhile. `store` returns the keys of
 * the items it wrote; a failing group is tried again from memory.
 *
 * @example
 * const queue = createWriteQueue((items) => writeRefreshedBatch(pool, owner, items, now()), (w) => w.id);
 * const written = await queue.write(result);
 */
export function createWriteQueue<T>(
  store: (items: T[]) => Promise<Set<string>>,
  key: (item: T) => string,
  onRetry: (attempt: number, error: unknown) => void,
) {
  let queued: Queued<T>[] = [];
  let flushing = 0;

  async function storeWithRetries(items: T[]): Promise<Set<string>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await store(items);
      } catch (error) {
        if (attempt >= WRITE_RETRIES) throw error;
        onRetry(attempt + 1, error);
        await sleep(100 * 2 ** (attempt + 1));
      }
    }
  }

  async function flush(): Promise<void> {
    flushing++;
    while (queued.length > 0) {
      const group = queued;
      queued = [];
      try {
        const written = await storeWithRetries(group.map((q) => q.item));
        for (const q of group) q.done(written.has(key(q.item)));
      } catch (error) {
        for (const q of group) q.fail(error);
      }
    }
    flushing--;
  }

  return {
    /** Resolves true once stored, false if the store left it alone; rejects if it failed. */
    write(item: T): Promise<boolean> {
      return new Promise<boolean>((done, fail) => {
        queued.push({ item, done, fail });
        if (flushing < PARALLEL_WRITES) void flush();
      });
    },
  };
}

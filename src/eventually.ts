/**
 * A value known now, or a promise of it. The token read answers most requests from memory
 * (cached credential, cached snapshot); returning those values directly instead of through
 * `async` functions saves a promise and a microtask turn per step of every such read
 * (docs/PERFORMANCE.md). Callers that `await` it are unaffected.
 */
export type Eventually<T> = T | Promise<T>;

/**
 * `next(value)` at once when the value is known, else once the promise resolves. A
 * synchronous throw in `next` is thrown here, as a rejection would reject.
 *
 * @example andThen(cache.get(id, load), (snap) => snap ?? notFound())
 */
export function andThen<T, U>(
  value: Eventually<T>,
  next: (value: T) => Eventually<U>,
): Eventually<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * `fn()`'s outcome as an Eventually whose errors all arrive the same way: as a rejected
 * promise, whether `fn` threw or rejected.
 *
 * @example const outcome = settled(() => readOrRefresh(caller, id, opts));
 */
export function settled<T>(fn: () => Eventually<T>): Eventually<T> {
  try {
    return fn();
  } catch (error) {
    // Whatever was thrown is passed on unchanged, as a rejection would carry it.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

let turn: Promise<void> | undefined;

/**
 * Resolves in the event loop's check phase, one promise and one `setImmediate` for every
 * caller of the same turn. Answers written there go out together with the turn's others
 * rather than one by one as each is ready: under load the peer is woken once per batch
 * instead of once per response (docs/PERFORMANCE.md); when idle it waits for nothing.
 *
 * @example await checkPhase(); sendToken(res, read, headers);
 */
export function checkPhase(): Promise<void> {
  return (turn ??= new Promise((resolve) => {
    setImmediate(() => {
      turn = undefined;
      resolve();
    });
  }));
}

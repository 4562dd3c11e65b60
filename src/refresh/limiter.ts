/**
 * A counting semaphore: at most `size` holders at once, waiters served in order.
 *
 * @example
 * const slots = new Semaphore(8);
 * await slots.run(() => refreshOne(id));
 */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Runs `task` once a slot is free, releasing it however `task` ends. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.held >= this.size) await new Promise<void>((ok) => this.waiting.push(ok));
    else this.held++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    }
  }
}

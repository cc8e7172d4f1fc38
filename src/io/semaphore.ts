/**
 * A counting semaphore: at most `permits` holders at once, the others wait
 * in arrival order. Used by `hexpub serve` to cap its connections and its
 * concurrent unpacking of uploads.
 *
 * @module
 */

/** At most `permits` holders at once; waiters are served first come, first served. */
export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  /** @param permits How many may hold it at once (at least 1). */
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`a semaphore needs at least one permit, got ${permits}`);
    }
    this.#free = permits;
  }

  /** Permits free right now. */
  get free(): number {
    return this.#free;
  }

  /** How many wait for a permit. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a permit; call {@link release} once done with it. */
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Gives a permit back, to the first waiter if there is one. */
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }

  /** Runs `work` holding a permit. */
  async with<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }
}

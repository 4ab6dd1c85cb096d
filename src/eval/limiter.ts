/**
 * A counting semaphore: at most `limit` holders at once, served in FIFO order. One instance is
 * shared by every run of a `prompts eval` invocation (several prompts, providers, baselines) so
 * that `--concurrency` bounds the requests in flight for the whole command, not per run.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Resolves when a slot is free; the returned function releases it (once). */
  acquire(): Promise<() => void> {
    return new Promise((resolve) => {
      const grant = (): void => {
        this.active++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.active--;
          this.waiting.shift()?.();
        });
      };
      if (this.active < this.limit) grant();
      else this.waiting.push(grant);
    });
  }

  get inUse(): number {
    return this.active;
  }
}

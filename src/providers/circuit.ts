/**
 * The circuit breaker: closed → open after `failures` consecutive failed requests → half-open
 * after `cooldownMs` (one probe request is let through) → closed when the probe succeeds, open
 * again when it fails. While open, `tryAcquire()` is false and callers fail fast without sending
 * anything. The runtime keeps one per provider for the whole process; `prompts eval` uses one per
 * run with an infinite cool-down (the run stops instead).
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** consecutive failures that open the breaker */
  failures: number;
  /** how long it stays open before a probe is let through (Infinity: never) */
  cooldownMs: number;
  /** injectable clock for tests */
  now?: () => number;
}

export class CircuitBreaker {
  readonly limit: number;
  readonly cooldownMs: number;
  #now: () => number;
  #open = false;
  #openedAt = 0;
  #probing = false;
  consecutive = 0;
  lastError = '';
  /** how many times it opened */
  opens = 0;

  constructor(opts: BreakerOptions) {
    this.limit = Math.max(1, opts.failures);
    this.cooldownMs = opts.cooldownMs;
    this.#now = opts.now ?? Date.now;
  }

  get state(): BreakerState {
    if (!this.#open) return 'closed';
    return this.#now() - this.#openedAt >= this.cooldownMs ? 'half-open' : 'open';
  }

  /** When an open breaker lets the next probe through (epoch ms), or null when closed. */
  get retryAt(): number | null {
    return this.#open ? this.#openedAt + this.cooldownMs : null;
  }

  /**
   * May a request go out now? Closed: yes. Open: no. Half-open: yes for exactly one probe at a
   * time; its outcome (success / failure / neutral) decides what comes next.
   */
  tryAcquire(): boolean {
    if (!this.#open) return true;
    if (this.state !== 'half-open' || this.#probing) return false;
    this.#probing = true;
    return true;
  }

  success(): void {
    this.consecutive = 0;
    this.#open = false;
    this.#probing = false;
  }

  /** Records a failure; returns true when this failure opens the breaker. */
  failure(message: string): boolean {
    this.consecutive++;
    this.lastError = message;
    if (this.#probing) {
      // the half-open probe failed: open again for another cool-down
      this.#probing = false;
      this.#openedAt = this.#now();
      this.opens++;
      return true;
    }
    if (!this.#open && this.consecutive >= this.limit) {
      this.#open = true;
      this.#openedAt = this.#now();
      this.opens++;
      return true;
    }
    return false;
  }

  /** An outcome that says nothing about the endpoint's health (429, a 4xx, a cancelled call): frees the probe slot. */
  neutral(): void {
    this.#probing = false;
  }
}

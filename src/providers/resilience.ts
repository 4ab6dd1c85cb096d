/**
 * The runtime's resilience layer, one per provider for the whole process: every call to that
 * provider shares its circuit breaker, its concurrency limit and its token buckets (requests and
 * tokens per minute), so 50 concurrent handlers behave like one well-mannered client. Each call
 * gets a per-attempt timeout (the provider's), retries with exponential backoff and full jitter
 * that honour Retry-After (./http.ts), and fails fast while the breaker is open.
 *
 * What counts against the breaker: 5xx, timeouts, network errors and malformed replies (the
 * endpoint is unhealthy). A 429 does not (the endpoint is alive and asks us to slow down): it
 * pauses every call to the provider for its Retry-After instead. 4xx and cancelled calls say
 * nothing about health.
 */
import type { ProviderConfig } from '../core/types.js';
import { canonicalJson } from '../core/json.js';
import { CircuitBreaker } from './circuit.js';
import { backoffMs, MAX_RETRY_AFTER_MS, sleep } from './http.js';
import { ProviderError, type Completion, type CompletionRequest, type Provider } from './types.js';

export const RUNTIME_DEFAULTS = { retries: 4, backoffBaseMs: 250, breakerFailures: 5, breakerCooldownMs: 10_000 };

/**
 * The call could not be served: the breaker is open, or every attempt failed. Not an Error (no
 * stack is captured): it is internal, and failing fast must stay cheap; the SDK turns it into
 * ProviderUnavailableError or a fallback.
 */
export class Unavailable {
  constructor(
    readonly reason: 'circuit_open' | 'retries_exhausted',
    readonly attempts: number,
    readonly lastError: string,
    readonly retryAt: number | null,
  ) {}
  get message(): string {
    return this.reason === 'circuit_open' ? `circuit breaker open; last error: ${this.lastError}` : `retries exhausted: ${this.lastError}`;
  }
}

/** The caller's signal fired: rejects with its reason, like fetch. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
function wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  if (!signal) return sleep(ms);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A token bucket of `perMinute` refilled continuously, allowed to go into debt: `take(n)` always
 * subtracts and says how long the caller must wait for its share, so waiters are served in
 * arrival order without a queue. A request larger than the bucket is clamped to its size.
 */
export class TokenBucket {
  readonly capacity: number;
  #perMs: number;
  #tokens: number;
  #last: number;
  constructor(
    perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = perMinute;
    this.#perMs = perMinute / 60_000;
    this.#tokens = perMinute;
    this.#last = now();
  }
  #refill(): void {
    const t = this.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + (t - this.#last) * this.#perMs);
    this.#last = t;
  }
  /** Takes `n` (clamped to the capacity) and returns the ms to wait before using them. */
  take(n: number): number {
    this.#refill();
    this.#tokens -= Math.min(n, this.capacity);
    return this.#tokens >= 0 ? 0 : Math.ceil(-this.#tokens / this.#perMs);
  }
  /** Gives back `n` (a cancelled call) or takes more (`n` negative: the reply used more than estimated). */
  give(n: number): void {
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens + n);
  }
  get available(): number {
    this.#refill();
    return this.#tokens;
  }
}

/** A FIFO concurrency limit. */
export class Semaphore {
  #free: number;
  #queue: { resolve: () => void; reject: (e: unknown) => void; done: boolean }[] = [];
  #head = 0;
  constructor(readonly limit: number) {
    this.#free = limit;
  }
  get waiting(): number {
    return this.#queue.length - this.#head;
  }
  get inUse(): number {
    return this.limit - this.#free;
  }
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#free > 0 && this.waiting === 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = {
        done: false,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = (): void => {
        if (w.done) return;
        w.done = true;
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(w);
    });
  }
  release(): void {
    while (this.#head < this.#queue.length) {
      const w = this.#queue[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (w.done) continue;
      w.done = true;
      w.resolve(); // the slot passes straight to the next waiter
      return;
    }
    this.#free++;
  }
}

export interface CallOptions {
  signal?: AbortSignal;
  /** the request's token estimate, for tokens_per_minute */
  tokens: number;
  /** called before each backoff wait (span events) */
  onRetry?: (err: ProviderError, attempt: number, waitMs: number) => void;
}

export interface CallResult {
  completion: Completion;
  /** requests sent */
  attempts: number;
  /** of the successful attempt, ms */
  latencyMs: number;
}

/** What one failed attempt means for the breaker. */
function healthOf(e: ProviderError): 'failure' | 'neutral' {
  if (e.opts.status === 429) return 'neutral';
  return e.retryable ? 'failure' : 'neutral';
}

export class ProviderRuntime {
  readonly name: string;
  readonly breaker: CircuitBreaker;
  readonly concurrency: Semaphore | null;
  readonly requests: TokenBucket | null;
  readonly tokens: TokenBucket | null;
  readonly retries: number;
  /** first backoff step (tests make it small) */
  backoffBaseMs: number = RUNTIME_DEFAULTS.backoffBaseMs;
  /** no request goes out before this time (epoch ms): a 429's Retry-After pauses the whole provider */
  notBefore = 0;
  /** requests sent, for tests and status */
  sent = 0;

  constructor(name: string, cfg: ProviderConfig, now: () => number = Date.now) {
    this.name = name;
    this.breaker = new CircuitBreaker({ failures: cfg.breaker?.failures ?? RUNTIME_DEFAULTS.breakerFailures, cooldownMs: cfg.breaker?.cooldown_ms ?? RUNTIME_DEFAULTS.breakerCooldownMs, now });
    const l = cfg.limits ?? {};
    this.concurrency = l.concurrency ? new Semaphore(l.concurrency) : null;
    this.requests = l.requests_per_minute ? new TokenBucket(l.requests_per_minute, now) : null;
    this.tokens = l.tokens_per_minute ? new TokenBucket(l.tokens_per_minute, now) : null;
    this.retries = cfg.type === 'echo' ? 0 : (cfg.retries ?? RUNTIME_DEFAULTS.retries);
  }

  /** One call: up to 1 + retries attempts, each under the limits; throws Unavailable, a non-retryable ProviderError, or the signal's reason. */
  async call(provider: Provider, req: CompletionRequest, o: CallOptions): Promise<CallResult> {
    const signal = o.signal;
    let lastError = '';
    let attempts = 0;
    for (let attempt = 0; ; attempt++) {
      if (!this.breaker.tryAcquire()) throw new Unavailable('circuit_open', attempts, lastError || this.breaker.lastError, this.breaker.retryAt);
      let held = false;
      let tokensTaken = 0;
      try {
        if (this.concurrency) {
          await this.concurrency.acquire(signal);
          held = true;
        }
        let delay = Math.max(0, this.notBefore - Date.now());
        if (this.requests) delay = Math.max(delay, this.requests.take(1));
        if (this.tokens) {
          tokensTaken = Math.min(o.tokens, this.tokens.capacity);
          delay = Math.max(delay, this.tokens.take(tokensTaken));
        }
        if (delay > 0) await wait(delay, signal);
      } catch (e) {
        if (held) this.concurrency!.release();
        if (this.requests) this.requests.give(1);
        if (tokensTaken) this.tokens!.give(tokensTaken);
        this.breaker.neutral();
        throw e;
      }
      attempts++;
      this.sent++;
      const started = performance.now();
      let failed: ProviderError;
      try {
        const completion = await provider.complete({ ...req, signal });
        const latencyMs = performance.now() - started;
        this.breaker.success();
        if (this.tokens && completion.usage) this.tokens.give(tokensTaken - Math.min(completion.usage.total, this.tokens.capacity));
        return { completion, attempts, latencyMs };
      } catch (e) {
        if (signal?.aborted) {
          this.breaker.neutral();
          if (tokensTaken) this.tokens!.give(tokensTaken);
          throw abortReason(signal);
        }
        if (!(e instanceof ProviderError)) {
          this.breaker.neutral();
          throw e;
        }
        failed = e;
      } finally {
        if (held) this.concurrency!.release();
      }
      // the slot is free again while this call backs off
      lastError = failed.message;
      if (healthOf(failed) === 'failure') this.breaker.failure(failed.message);
      else this.breaker.neutral();
      if (failed.opts.status === 429 && failed.opts.retryAfterMs !== undefined) {
        this.notBefore = Math.max(this.notBefore, Date.now() + Math.min(failed.opts.retryAfterMs, MAX_RETRY_AFTER_MS));
      }
      if (!failed.retryable) throw failed;
      if (attempt >= this.retries) throw new Unavailable('retries_exhausted', attempts, lastError, null);
      const ms = backoffMs(attempt, failed, this.backoffBaseMs);
      o.onRetry?.(failed, attempts, ms);
      await wait(ms, signal);
    }
  }
}

const runtimes = new Map<string, { key: string; rt: ProviderRuntime }>();
/** the same config object always maps to the same state (the per-call fast path) */
const byConfig = new WeakMap<ProviderConfig, { name: string; rt: ProviderRuntime }>();

/**
 * The process-wide resilience state of provider `name`. The same name and config always give the
 * same object (a hot-reloaded bundle keeps its breaker and buckets); a changed config starts afresh.
 */
export function providerRuntime(name: string, cfg: ProviderConfig): ProviderRuntime {
  const known = byConfig.get(cfg);
  if (known && known.name === name && runtimes.get(name)?.rt === known.rt) return known.rt;
  const rt = runtimeFor(name, cfg);
  byConfig.set(cfg, { name, rt });
  return rt;
}

function runtimeFor(name: string, cfg: ProviderConfig): ProviderRuntime {
  const key = canonicalJson({ type: cfg.type, base_url: cfg.base_url, limits: cfg.limits, breaker: cfg.breaker, retries: cfg.retries });
  const have = runtimes.get(name);
  if (have && have.key === key) return have.rt;
  const rt = new ProviderRuntime(name, cfg);
  runtimes.set(name, { key, rt });
  return rt;
}

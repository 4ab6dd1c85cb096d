/**
 * Eval's use of the shared circuit breaker (src/providers/circuit.ts): after `limit` consecutive
 * failed requests (each already retried) the run stops with one message instead of hammering a
 * dead endpoint. It never half-opens: the run is over once it trips.
 */
import { CircuitBreaker as SharedBreaker } from '../providers/circuit.js';

export class CircuitBreaker extends SharedBreaker {
  constructor(limit: number) {
    super({ failures: limit, cooldownMs: Infinity });
  }

  get tripped(): boolean {
    return this.state !== 'closed';
  }

  get message(): string {
    return `stopped after ${this.consecutive} consecutive failed requests (eval.max_consecutive_failures: ${this.limit}); last error: ${this.lastError}`;
  }
}

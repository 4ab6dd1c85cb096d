/**
 * The circuit breaker: after `limit` consecutive failed requests (each already retried) the
 * run stops with one message instead of hammering a dead endpoint. A success resets the count.
 */
export class CircuitBreaker {
  private consecutive = 0;
  private lastError = '';
  tripped = false;

  constructor(readonly limit: number) {}

  success(): void {
    this.consecutive = 0;
  }

  /** Records a failure; returns true when this failure trips the breaker. */
  failure(message: string): boolean {
    this.consecutive++;
    this.lastError = message;
    if (!this.tripped && this.consecutive >= this.limit) {
      this.tripped = true;
      return true;
    }
    return false;
  }

  get message(): string {
    return `stopped after ${this.consecutive} consecutive failed requests (eval.max_consecutive_failures: ${this.limit}); last error: ${this.lastError}`;
  }
}

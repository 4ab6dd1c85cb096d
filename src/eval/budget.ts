/**
 * `--max-cost <usd>`: a spending limit for one `prompts eval` invocation (every prompt,
 * provider, repeat, baseline and llm-rubric grader request in it). A request starts only when
 * the money already spent plus the estimates of the requests in flight plus its own estimate
 * stay within the limit; when it would not, it waits for requests in flight to settle and asks
 * again, and when nothing is in flight the budget is exhausted: no request starts any more.
 */
import type { Message, ModelPrice, ProviderConfig } from '../core/types.js';
import { estimateCost, estimateRequest } from '../providers/cost.js';

/**
 * The estimated cost of one request in USD, from the price table of prompts.config.yaml — the
 * shared estimate of src/providers/cost.ts that the runtime's budgets use too: input tokens ≈
 * ceil(characters / 4) + 4 per message; output tokens = the request's `max_tokens` (or
 * `max_completion_tokens` / `max_output_tokens`), else the provider's default. 0 for echo; null
 * when the model has no price.
 */
export function estimateRequestCost(req: { messages: readonly Message[]; parameters: Record<string, unknown>; model: string }, prices: Record<string, ModelPrice> | undefined, type: ProviderConfig['type']): number | null {
  return estimateCost(estimateRequest(req.messages, req.parameters, type), prices, req.model, type);
}

export interface Reservation {
  readonly estimate: number;
  /** the request finished: `actual` is its cost (null when unknown: the estimate is counted) */
  settle(actual: number | null): void;
}

export class Budget {
  private spentUsd = 0;
  private inflightUsd = 0;
  private exhaustedFlag = false;
  private waiters: (() => void)[] = [];

  constructor(readonly maxUsd: number) {}

  get spent(): number {
    return this.spentUsd;
  }
  get inFlight(): number {
    return this.inflightUsd;
  }
  get exhausted(): boolean {
    return this.exhaustedFlag;
  }

  /** Resolves with a reservation, or null when the request must not start (the budget is exhausted). */
  async reserve(estimate: number, signal?: AbortSignal): Promise<Reservation | null> {
    for (;;) {
      if (this.exhaustedFlag || signal?.aborted) return null;
      // a tiny tolerance, so that sums of float prices equal to the limit are within it
      if (this.spentUsd + this.inflightUsd + estimate <= this.maxUsd * (1 + 1e-9) + 1e-12) {
        this.inflightUsd += estimate;
        let done = false;
        return {
          estimate,
          settle: (actual) => {
            if (done) return;
            done = true;
            this.inflightUsd = Math.max(0, this.inflightUsd - estimate);
            this.spentUsd += actual ?? estimate;
            this.wake();
          },
        };
      }
      if (this.inflightUsd <= 0) {
        this.exhaustedFlag = true;
        this.wake();
        return null;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

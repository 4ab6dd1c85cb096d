/**
 * Budgets of the runtime: spending in the last hour and the last day, checked BEFORE a call is
 * sent with the call's estimated (upper-bound) cost, which is reserved at once so calls in
 * flight count too, then corrected to the actual cost when the reply comes (or refunded when
 * no reply came).
 *
 * `BudgetStore` is the seam for sharing spend between processes (Redis, a database): `reserve`
 * must check and record atomically. The default, `InMemoryBudgetStore`, is one process's spend
 * in per-minute buckets (a rolling hour and day; memory does not grow with calls).
 */
import type { BudgetConfig } from '../core/types.js';

export type BudgetDecision = { ok: true } | { ok: false; window: 'hour' | 'day'; limitUsd: number; spentUsd: number };

export interface BudgetStore {
  /**
   * If spend in the last hour plus `usd` stays within `limits.usd_per_hour` and spend in the last
   * day plus `usd` within `limits.usd_per_day`, record `usd` at `now` and answer ok; otherwise
   * record nothing and say which window is full. Must be atomic across the processes it serves.
   */
  reserve(usd: number, limits: BudgetConfig, now: number): BudgetDecision | Promise<BudgetDecision>;
  /** Corrects the reservation made at `at` by `deltaUsd` (negative: the call cost less, or failed). */
  adjust(deltaUsd: number, at: number): void | Promise<void>;
  /** Spend recorded in the last `windowMs` before `now`, for status pages and tests. */
  spent(windowMs: number, now: number): number | Promise<number>;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SLOTS = DAY / MINUTE; // 1440 one-minute buckets: a rolling day

export class InMemoryBudgetStore implements BudgetStore {
  #usd = new Float64Array(SLOTS);
  /** the minute (epoch ms / 60000) each slot holds */
  #minute = new Float64Array(SLOTS).fill(-1);

  #slot(minute: number): number {
    const i = minute % SLOTS;
    if (this.#minute[i] !== minute) {
      this.#minute[i] = minute;
      this.#usd[i] = 0;
    }
    return i;
  }

  spent(windowMs: number, now: number): number {
    const cur = Math.floor(now / MINUTE);
    const n = Math.min(SLOTS, Math.ceil(windowMs / MINUTE));
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const m = cur - k;
      const i = ((m % SLOTS) + SLOTS) % SLOTS;
      if (this.#minute[i] === m) sum += this.#usd[i]!;
    }
    return sum;
  }

  reserve(usd: number, limits: BudgetConfig, now: number): BudgetDecision {
    if (limits.usd_per_hour !== undefined) {
      const s = this.spent(HOUR, now);
      if (s + usd > limits.usd_per_hour) return { ok: false, window: 'hour', limitUsd: limits.usd_per_hour, spentUsd: s };
    }
    if (limits.usd_per_day !== undefined) {
      const s = this.spent(DAY, now);
      if (s + usd > limits.usd_per_day) return { ok: false, window: 'day', limitUsd: limits.usd_per_day, spentUsd: s };
    }
    this.#usd[this.#slot(Math.floor(now / MINUTE))]! += usd;
    return { ok: true };
  }

  adjust(deltaUsd: number, at: number): void {
    const m = Math.floor(at / MINUTE);
    const i = ((m % SLOTS) + SLOTS) % SLOTS;
    // a reservation older than a day has left every window: nothing to correct
    if (this.#minute[i] === m) this.#usd[i] = Math.max(0, this.#usd[i]! + deltaUsd);
  }
}

let processStore: InMemoryBudgetStore | undefined;
/** The store every PromptSet of this process shares unless the app passes its own. */
export function defaultBudgetStore(): InMemoryBudgetStore {
  return (processStore ??= new InMemoryBudgetStore());
}

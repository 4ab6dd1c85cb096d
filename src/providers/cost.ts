/**
 * Prices and cost: the actual cost of a completion from the provider's price table, and an
 * upper-bound estimate made BEFORE a request is sent (budgets, eval's --max-cost). Shared by
 * `prompts eval` and the runtime so both count money the same way.
 */
import type { Message, ModelPrice, ProviderConfig } from '../core/types.js';
import { ANTHROPIC_DEFAULT_MAX_TOKENS } from './anthropic.js';
import type { Usage } from './types.js';
import { own } from '../core/own.js';

/** Output tokens assumed for a request whose parameters set no max_tokens (OpenAI-compatible). */
export const DEFAULT_MAX_OUTPUT_TOKENS_ESTIMATE = 1024;

/** Tokens ≈ characters / 4, rounded up (the echo provider's count and the estimates' basis). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Cost in USD from the provider's price table, or null when the model has no price. */
export function costOf(usage: Usage | null, prices: Record<string, ModelPrice> | undefined, model: string, type: ProviderConfig['type']): number | null {
  if (type === 'echo') return 0;
  if (!usage) return null;
  const p = own(prices, model);
  if (!p) return null;
  return (usage.input * p.input_per_1m + usage.output * p.output_per_1m) / 1_000_000;
}

export interface RequestEstimate {
  /** characters / 4 over every message, plus 4 tokens of framing per message */
  inputTokens: number;
  /** the request's max_tokens / max_completion_tokens / max_output_tokens, else the provider default */
  outputTokens: number;
}

function positiveInt(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? Math.ceil(x) : undefined;
}

/** An upper-bound token estimate of one request, before it is sent. */
export function estimateRequest(messages: readonly Message[], parameters: Record<string, unknown> | undefined, type: ProviderConfig['type']): RequestEstimate {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  const inputTokens = Math.ceil(chars / 4) + 4 * messages.length;
  const p = parameters ?? {};
  const outputTokens =
    positiveInt(p.max_tokens) ??
    positiveInt(p.max_completion_tokens) ??
    positiveInt(p.max_output_tokens) ??
    (type === 'anthropic' ? ANTHROPIC_DEFAULT_MAX_TOKENS : DEFAULT_MAX_OUTPUT_TOKENS_ESTIMATE);
  return { inputTokens, outputTokens };
}

/**
 * The estimated cost in USD of a request (its estimate priced at the model's price), 0 for echo,
 * or null when the model has no price in the provider's table.
 */
export function estimateCost(estimate: RequestEstimate, prices: Record<string, ModelPrice> | undefined, model: string, type: ProviderConfig['type']): number | null {
  return costOf({ input: estimate.inputTokens, output: estimate.outputTokens, total: estimate.inputTokens + estimate.outputTokens }, prices, model, type);
}

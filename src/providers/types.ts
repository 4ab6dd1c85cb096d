/**
 * The provider interface shared by `prompts eval` and the runtime SDK: one chat completion per
 * call. Providers speak a real wire format over Node's global fetch and only map request and
 * response shapes; timeouts and error classification live in `./http.ts`, retries, the circuit
 * breaker, rate limits and budgets in `./resilience.ts` (runtime) and `../eval/runner.ts` (eval).
 */
import type { Message, ProviderConfig } from '../core/types.js';

export interface Usage {
  input: number;
  output: number;
  total: number;
}

export interface CompletionRequest {
  model: string;
  parameters: Record<string, unknown>;
  messages: Message[];
  /** aborts the request (run interrupted, caller's signal) */
  signal?: AbortSignal;
}

export interface Completion {
  output: string;
  usage: Usage | null;
  /** the model the provider says answered (gen_ai.response.model), when it says */
  responseModel?: string;
  /** the provider's response id (gen_ai.response.id) */
  responseId?: string;
  /** why generation stopped, per choice (gen_ai.response.finish_reasons) */
  finishReasons?: string[];
  /**
   * A valid reply that is not plain text (absent: text): `refusal` — the model declined, and
   * `output` is its refusal; `tool_calls` — it answered only with tool calls, and `output` is
   * them as JSON (`[{"name","arguments"}]`); `empty` — it answered with nothing (`output` is "").
   */
  reply?: ReplyKind;
}

export type ReplyKind = 'refusal' | 'tool_calls' | 'empty';

export interface Provider {
  /** the provider's name in prompts.config.yaml */
  readonly name: string;
  readonly type: ProviderConfig['type'];
  /** included in the cache key: responses of different endpoints never mix */
  readonly baseUrl: string;
  /** false for echo: nothing to cache, nothing to retry */
  readonly remote: boolean;
  complete(req: CompletionRequest): Promise<Completion>;
}

export type ProviderErrorKind = 'http' | 'timeout' | 'network' | 'format' | 'aborted' | 'replay' | 'config';

/**
 * A failed request, already classified. `retryable` is true for 429, 5xx, timeouts, network
 * errors and malformed JSON; `fatal` is true when every further request would fail the same way
 * (wrong key, unknown model, bad base_url, no key in the environment).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly opts: { status?: number; retryable: boolean; fatal?: boolean; retryAfterMs?: number; kind?: ProviderErrorKind },
  ) {
    super(message);
    this.name = 'ProviderError';
  }
  get retryable(): boolean {
    return this.opts.retryable;
  }
  get fatal(): boolean {
    return this.opts.fatal === true;
  }
  get kind(): ProviderErrorKind | undefined {
    return this.opts.kind;
  }
}

/**
 * The fields of a provider's config entry that decide where a request goes and which secret it
 * carries: `validate --base` reports changes to them (provider-changed), and eval/promote with a
 * trusted revision take them from that revision (eval/trusted.ts).
 */
export const ENDPOINT_FIELDS = ['type', 'base_url', 'api_key_env', 'headers'] as const;

/**
 * The provider interface the runner talks to: one chat completion per call. Providers speak a
 * real wire format over Node's global fetch; retries, timeouts and the circuit breaker live in
 * `../http.ts` and `../runner.ts`, so a provider only maps request/response shapes.
 */
import type { Message, ProviderConfig } from '../../core/types.js';

export interface Usage {
  input: number;
  output: number;
  total: number;
}

export interface CompletionRequest {
  model: string;
  parameters: Record<string, unknown>;
  messages: Message[];
  /** aborts the request (run interrupted) */
  signal?: AbortSignal;
}

export interface Completion {
  output: string;
  usage: Usage | null;
}

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

/**
 * A failed request, already classified. `retryable` is true for 429, 5xx, timeouts and network
 * errors; `fatal` is true when every further request would fail the same way (wrong key,
 * unknown model, bad base_url) so the run stops at once.
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly opts: { status?: number; retryable: boolean; fatal?: boolean; retryAfterMs?: number; kind?: 'http' | 'timeout' | 'network' | 'format' | 'aborted' | 'replay' },
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
}

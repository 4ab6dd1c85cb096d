/**
 * Typed errors of the runtime API. They extend PromptrailError so the CLI reports them with an
 * exit code like every other error, and applications can `instanceof`-check each kind.
 */
import { PromptrailError } from '../errors.js';

export interface FieldProblem {
  /** the input (or output) field, "a.b" for nested values; "" for the whole value */
  field: string;
  message: string;
}

/** A pinned file or a bundle entry does not match its recorded sha256 / digest (exit 1). */
export class IntegrityError extends PromptrailError {
  readonly id: string | undefined;
  constructor(message: string, opts: { id?: string; file?: string; hint?: string } = {}) {
    super(message, 1, { location: opts.file ? { file: opts.file } : undefined, hint: opts.hint });
    this.id = opts.id;
  }
}

/** The value handed to loadBundle is not a promptrail bundle this version can read (exit 2). */
export class BundleFormatError extends PromptrailError {
  constructor(message: string, opts: { file?: string; hint?: string } = {}) {
    super(message, 2, { location: opts.file ? { file: opts.file } : undefined, hint: opts.hint });
  }
}

/** `get(id)` for an id that is not pinned in the environment / bundle (exit 2). */
export class PromptNotFoundError extends PromptrailError {
  readonly id: string;
  readonly suggestion: string | undefined;
  constructor(id: string, where: string, suggestion: string | undefined) {
    super(`prompt "${id}" is not in ${where}${suggestion ? `; did you mean "${suggestion}"?` : ''}`, 2, {
      hint: 'call ids() to see the prompts available',
    });
    this.id = id;
    this.suggestion = suggestion;
  }
}

/** `render(vars)` with inputs that do not satisfy the prompt's inputs schema (exit 2). */
export class InputValidationError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  /** one entry per bad field, naming it */
  readonly errors: FieldProblem[];
  constructor(id: string, version: string, errors: FieldProblem[]) {
    super(`invalid inputs for ${id}@${version}: ${errors.map((e) => e.message).join('; ')}`, 2);
    this.id = id;
    this.version = version;
    this.errors = errors;
  }
}

/** `parseOutput(text)` with a model reply that is not JSON or does not match output.schema (exit 1). */
export class OutputValidationError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  readonly errors: FieldProblem[];
  /** the reply text that failed */
  readonly text: string;
  constructor(id: string, version: string, errors: FieldProblem[], text: string) {
    super(`invalid output from ${id}@${version}: ${errors.map((e) => e.message).join('; ')}`, 1);
    this.id = id;
    this.version = version;
    this.errors = errors;
    this.text = text;
  }
}

/** A prompt whose template or schema cannot be compiled (only a hand-made bundle gets here; exit 1). */
export class PromptDefinitionError extends PromptrailError {
  readonly id: string;
  readonly version: string;
  constructor(id: string, version: string, message: string) {
    super(`prompt ${id}@${version} cannot be used: ${message}`, 1);
    this.id = id;
    this.version = version;
  }
}

export type UnavailableReason = 'circuit_open' | 'retries_exhausted';

/**
 * run(): the provider could not answer — its circuit breaker is open (the call failed fast, no
 * request was sent) or every retry failed — and the prompt declares no fallback that could serve.
 */
export class ProviderUnavailableError extends PromptrailError {
  readonly provider: string;
  readonly reason: UnavailableReason;
  /** requests sent for this call (0 when the breaker was open) */
  readonly attempts: number;
  /** when an open breaker lets the next probe through (epoch ms), else null */
  readonly retryAt: number | null;
  static describe(provider: string, reason: UnavailableReason, attempts: number, lastError: string): string {
    const why = reason === 'circuit_open' ? `its circuit breaker is open (no request sent)${lastError ? `; last error: ${lastError}` : ''}` : `${attempts} attempt(s) failed; last error: ${lastError}`;
    return `provider "${provider}" is unavailable: ${why}`;
  }
  constructor(provider: string, reason: UnavailableReason, attempts: number, lastError: string, retryAt: number | null) {
    super(ProviderUnavailableError.describe(provider, reason, attempts, lastError), 1, { hint: 'declare a fallback in the version file (fallback: { provider, model } and/or { text }) to serve these calls' });
    this.provider = provider;
    this.reason = reason;
    this.attempts = attempts;
    this.retryAt = retryAt;
  }
}

/** run(): the call's estimated cost would take spending over `budget.usd_per_hour` / `usd_per_day`; nothing was sent. */
export class BudgetExceededError extends PromptrailError {
  readonly window: 'hour' | 'day';
  readonly limitUsd: number;
  /** spent (and reserved by calls in flight) in the window */
  readonly spentUsd: number;
  readonly estimateUsd: number;
  constructor(window: 'hour' | 'day', limitUsd: number, spentUsd: number, estimateUsd: number) {
    super(
      `budget exceeded: this call (estimated $${estimateUsd.toFixed(6)}) would take spending in the last ${window} over usd_per_${window} ($${spentUsd.toFixed(6)} of $${limitUsd} spent); it was not sent`,
      1,
      { hint: 'raise the budget in prompts.config.yaml, or declare a fallback (fallback: { text }) to serve these calls' },
    );
    this.window = window;
    this.limitUsd = limitUsd;
    this.spentUsd = spentUsd;
    this.estimateUsd = estimateUsd;
  }
}

/**
 * run(): the provider refused the request in a way retrying cannot fix (400 bad parameters,
 * 401/403 key, 404 model or base_url, a reply without content, no key in the environment).
 * The message never holds the key.
 */
export class ProviderRequestError extends PromptrailError {
  readonly provider: string;
  readonly status: number | undefined;
  constructor(provider: string, message: string, status: number | undefined) {
    super(message, 1);
    this.provider = provider;
    this.status = status;
  }
}

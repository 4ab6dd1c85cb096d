/**
 * Public types of the runtime API. `PromptMap` is empty here; `prompts types` generates a
 * module augmentation (`declare module 'promptrail' { interface PromptMap { … } }`) that fills it,
 * so `get('support/triage').render({...})` is type-checked against the prompt's inputs schema.
 */
import type { FallbackSpec, Message, ModelConfig, OutputSpec, JsonSchema } from '../core/types.js';
import type { BudgetStore } from './budget.js';
import type { Usage } from '../providers/types.js';

/**
 * Prompt id → { version, inputs, output } types. Filled by the file `prompts types` generates.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PromptMap {}

/** The shape of one PromptMap entry. */
export interface PromptTypeInfo {
  inputs: object;
  output: unknown;
}

/** Types used for ids that PromptMap does not know. */
export interface UntypedPrompt {
  inputs: Record<string, unknown>;
  output: unknown;
}

/** The PromptMap entry for `K`, or UntypedPrompt. */
export type PromptTypesOf<K> = K extends keyof PromptMap ? (PromptMap[K] extends PromptTypeInfo ? PromptMap[K] : UntypedPrompt) : UntypedPrompt;

/** What `render` returns: ready to send to the model's chat API. */
export interface RenderedPrompt {
  id: string;
  version: string;
  /** the arm rendered: `stable`, or a running rollout's `candidate` */
  variant: Variant;
  /** sha256 of the version file (the environment file's pin) */
  sha256: string;
  /** model config with the environment's overrides applied (frozen) */
  model: ModelConfig;
  messages: Message[];
}

/**
 * The arm of a prompt a handle serves: `stable` (the pinned version), or `candidate` (a running
 * rollout's version, SPEC §12) for the keys its weight assigns to it.
 */
export type Variant = 'stable' | 'candidate';

export interface GetOptions {
  /**
   * a stable id of the user/session/tenant: the same key always gets the same arm (bucket =
   * uint32be(sha256(salt + ":" + key)[0..4]) % 10000; the candidate's are the top round(weight × 100)).
   * Without a key, the stable arm.
   */
  key?: string;
}

export interface RunOptions {
  /** cancels the call (queued, backing off or in flight); run() then rejects with the signal's reason */
  signal?: AbortSignal;
}

/** Why run() served a fallback, and what it served. */
export interface FallbackInfo {
  reason: 'circuit_open' | 'retries_exhausted' | 'budget_exceeded';
  /** "model": fallback.provider/model answered; "text": fallback.text was served */
  via: 'model' | 'text';
  provider: string | null;
  model: string | null;
  /** the primary's error, redacted */
  error: string;
}

export interface RunResult<O = unknown> {
  id: string;
  version: string;
  variant: Variant;
  sha256: string;
  /** the reply text */
  output: string;
  /** output.format json: the parsed reply, validated against output.schema; text prompts: null */
  data: O | null;
  /** tokens as the provider reported them; null when it did not (and for fallback text) */
  usage: Usage | null;
  /** from the provider's prices; null when the model has no price */
  cost_usd: number | null;
  /** wall time of the whole call: queueing, retries and fallback included */
  latency_ms: number;
  /** requests sent to providers for this call (0 when served from an open breaker's fallback text) */
  attempts: number;
  /** the provider and model that answered (null for fallback text) */
  provider: string | null;
  model: string | null;
  fallback: FallbackInfo | null;
}

export interface PromptHandle<T extends PromptTypeInfo = UntypedPrompt> {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  /** which arm this handle serves: stable, or a running rollout's candidate */
  readonly variant: Variant;
  /** the key's bucket (0–9999) when get() had a key and the prompt a running rollout; else null */
  readonly bucket: number | null;
  /** the version file's fallback, or null */
  readonly fallback: FallbackSpec | null;
  /** model config with the environment's overrides applied (frozen) */
  readonly model: ModelConfig;
  /** JSON Schema of the inputs, or null when the prompt declares none */
  readonly inputs: JsonSchema | null;
  /** output format and schema, or null when the prompt declares none (text) */
  readonly output: OutputSpec | null;
  /** the message templates (not rendered) */
  readonly messages: readonly Message[];
  /**
   * Validates `vars` against the inputs schema and renders the messages.
   * @throws InputValidationError naming each bad field
   */
  render(vars: T['inputs']): RenderedPrompt;
  /**
   * For `output.format: json`: strips a ```json fence, parses, validates against output.schema.
   * For text prompts: returns the text.
   * @throws OutputValidationError
   */
  parseOutput(text: string): T['output'];
  /**
   * Renders `vars`, calls the prompt's provider (the environment's overrides applied) through the
   * process-wide resilience layer, and parses the reply.
   * @throws InputValidationError, OutputValidationError, ProviderUnavailableError, BudgetExceededError, ProviderRequestError
   */
  run(vars: T['inputs'], opts?: RunOptions): Promise<RunResult<T['output']>>;
}

/** The prompts pinned in one environment, from the registry on disk or from a bundle. */
export interface PromptSet {
  /** the environment name */
  readonly env: string;
  readonly origin: 'registry' | 'bundle';
  /** the git commit a bundle was built from (null for registries and bundles built outside git) */
  readonly commit: string | null;
  /** @throws PromptNotFoundError (with a did-you-mean suggestion) */
  get<K extends keyof PromptMap & string>(id: K, opts?: GetOptions): PromptHandle<PromptTypesOf<K>>;
  get(id: string, opts?: GetOptions): PromptHandle;
  has(id: string): boolean;
  /** the prompt ids, sorted */
  ids(): string[];
  /** a handle for every prompt, sorted by id */
  list(): PromptHandle[];
  /** stops a refreshing bundle's polling (a no-op otherwise) */
  close(): void;
}

/** Runtime settings shared by loadBundle and loadRegistry. */
export interface RuntimeOptions {
  /** where spend is recorded (default: one in-memory store per process) */
  budgetStore?: BudgetStore;
  /** where API keys are read from, by the variable names the providers declare, at call time (default: process.env) */
  processEnv?: NodeJS.ProcessEnv;
}

/** What changed when a refreshing bundle swapped in a new one. */
export interface BundleUpdate {
  prompts: PromptSet;
  commit: string | null;
  previousCommit: string | null;
  /**
   * prompts whose version changed, appeared (from null) or went (to null), or whose rollout
   * started, changed weight, completed or was aborted (`rollout`: the candidate and weight before
   * and after; null: none running)
   */
  changed: { id: string; from: string | null; to: string | null; rollout?: { from: { version: string; weight: number } | null; to: { version: string; weight: number } | null } }[];
}

export interface LoadRegistryOptions extends RuntimeOptions {
  /** where to start looking for prompts.config.yaml (default: process.cwd()) */
  cwd?: string;
  /** the environment whose pins to load, e.g. "production" */
  env: string;
}

export interface LoadBundleOptions extends RuntimeOptions {
  /**
   * "lazy" (default): every entry's sha256 and digest are checked at load; each entry's source
   * is re-parsed and compared on its first get(). "full": all of it at load (refreshed bundles
   * are always checked in full before they are swapped in).
   */
  verify?: 'lazy' | 'full';
  /** re-read the file or URL every `intervalMs` and swap in a new bundle once it is verified */
  refresh?: {
    intervalMs: number;
    /** per fetch of an http(s) bundle (default 10000) */
    timeoutMs?: number;
    /**
     * A refreshed bundle whose providers change `type`, `base_url` or `api_key_env` is refused
     * (keys only go where the bundle loaded at start-up sends them) unless this is true.
     */
    allowProviderChanges?: boolean;
  };
  /** called after a new bundle was swapped in */
  onUpdate?: (update: BundleUpdate) => void;
  /** called when a refresh failed; the last good bundle keeps serving */
  onError?: (error: Error) => void;
}

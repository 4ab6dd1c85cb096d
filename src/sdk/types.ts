/**
 * Public types of the runtime API. `PromptMap` is empty here; `prompts types` generates a
 * module augmentation (`declare module 'promptrail' { interface PromptMap { … } }`) that fills it,
 * so `get('support/triage').render({...})` is type-checked against the prompt's inputs schema.
 */
import type { Message, ModelConfig, OutputSpec, JsonSchema } from '../core/types.js';

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
  /** sha256 of the version file (the environment file's pin) */
  sha256: string;
  /** model config with the environment's overrides applied (frozen) */
  model: ModelConfig;
  messages: Message[];
}

export interface PromptHandle<T extends PromptTypeInfo = UntypedPrompt> {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
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
}

/** The prompts pinned in one environment, from the registry on disk or from a bundle. */
export interface PromptSet {
  /** the environment name */
  readonly env: string;
  readonly origin: 'registry' | 'bundle';
  /** the git commit a bundle was built from (null for registries and bundles built outside git) */
  readonly commit: string | null;
  /** @throws PromptNotFoundError (with a did-you-mean suggestion) */
  get<K extends keyof PromptMap & string>(id: K): PromptHandle<PromptTypesOf<K>>;
  get(id: string): PromptHandle;
  has(id: string): boolean;
  /** the prompt ids, sorted */
  ids(): string[];
  /** a handle for every prompt, sorted by id */
  list(): PromptHandle[];
}

export interface LoadRegistryOptions {
  /** where to start looking for prompts.config.yaml (default: process.cwd()) */
  cwd?: string;
  /** the environment whose pins to load, e.g. "production" */
  env: string;
}

export interface LoadBundleOptions {
  /**
   * "lazy" (default): every entry's sha256 and digest are checked at load; each entry's source
   * is re-parsed and compared on its first get(). "full": all of it at load.
   */
  verify?: 'lazy' | 'full';
}

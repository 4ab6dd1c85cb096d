/**
 * Types of the files in a registry. They mirror `schemas/*.schema.json`; test/unit/schema-types.test.ts
 * fails when the two drift apart (keys and required-ness are compared).
 */

export type Role = 'system' | 'user' | 'assistant';

export interface Message {
  role: Role;
  content: string;
}

export type JsonSchema = Record<string, unknown>;

export interface ModelConfig {
  provider: string;
  name: string;
  parameters?: Record<string, unknown>;
}

export interface OutputSpec {
  format: 'text' | 'json';
  schema?: JsonSchema;
}

/**
 * A complete prompt: a version file without `extends`, or what resolution makes of one with it
 * (core/resolve.ts). Every command that renders, evaluates or ships a prompt reads this shape.
 */
export interface PromptFile {
  id: string;
  version: string;
  description?: string;
  author?: string;
  created?: string;
  changes?: string[];
  tags?: string[];
  model: ModelConfig;
  inputs?: JsonSchema;
  output?: OutputSpec;
  messages?: Message[];
  template?: string;
  fallback?: FallbackSpec;
}

/** `uses:` the partials a version file includes, by the name its templates write (`{{> name}}`): `<id>@<version>` */
export type UsesMap = Record<string, string>;

/**
 * prompts/<id>/<version>.yaml of a prompt, as written (schemas/prompt.schema.json). With
 * `extends`, `model` and the text may come from the parent; without it the file is a PromptFile.
 */
export interface PromptVersionFile extends Omit<PromptFile, 'model'> {
  kind?: 'prompt';
  model?: ModelConfig;
  uses?: UsesMap;
  extends?: string;
}

/** prompts/<id>/<version>.yaml of a partial (`kind: partial`, schemas/partial.schema.json) */
export interface PartialFile {
  id: string;
  version: string;
  kind: 'partial';
  description?: string;
  author?: string;
  created?: string;
  changes?: string[];
  tags?: string[];
  /** the variables its template uses; every includer declares them too */
  inputs?: JsonSchema;
  template: string;
  uses?: UsesMap;
}

/** `deps:` of a pin or history entry: sha256 of every other file of the resolved closure, by `<id>@<version>` */
export type DepsMap = Record<string, string>;

/** A version file's `fallback:`: another provider and model, and/or a fixed reply (tried last). */
export interface FallbackSpec {
  provider?: string;
  model?: string;
  /** default: the prompt's model parameters */
  parameters?: Record<string, unknown>;
  text?: string;
}

export type AssertionType =
  | 'equals'
  | 'contains'
  | 'icontains'
  | 'not-contains'
  | 'regex'
  | 'starts-with'
  | 'is-json'
  | 'json-schema'
  | 'json-path'
  | 'length'
  | 'similar'
  | 'latency'
  | 'cost'
  | 'tokens'
  | 'llm-rubric';

export const ASSERTION_TYPES: readonly AssertionType[] = [
  'equals',
  'contains',
  'icontains',
  'not-contains',
  'regex',
  'starts-with',
  'is-json',
  'json-schema',
  'json-path',
  'length',
  'similar',
  'latency',
  'cost',
  'tokens',
  'llm-rubric',
];

export interface Assertion {
  type: AssertionType;
  name?: string;
  weight?: number;
  /** equals, contains, icontains, not-contains, starts-with, similar */
  value?: unknown;
  /** regex */
  pattern?: string;
  flags?: string;
  /** json-schema: inline schema (else the version's output.schema) */
  schema?: JsonSchema;
  /** json-path */
  path?: string;
  equals?: unknown;
  contains?: unknown;
  matches?: string;
  /** length, tokens */
  min?: number;
  max?: number;
  /** similar */
  threshold?: number;
  /** latency */
  max_ms?: number;
  /** cost */
  max_usd?: number;
  /** llm-rubric */
  rubric?: string;
  provider?: string;
  /** llm-rubric: the grader's model (default: the model under test) */
  model?: string;
}

export interface EvalCase {
  name: string;
  description?: string;
  versions?: string;
  vars?: Record<string, unknown>;
  assert?: Assertion[];
}

/** prompts/<id>/evals.yaml */
export interface SuiteFile {
  defaults?: {
    vars?: Record<string, unknown>;
    assert?: Assertion[];
    /** runs per case (`--repeat` overrides) */
    repeat?: number;
    /** share of a case's runs that must pass for the case to pass (`--case-pass-rate` overrides) */
    case_pass_rate?: number;
  };
  cases: EvalCase[];
}

export interface EvalSummary {
  pass_rate: number;
  passed: number;
  cases: number;
  suite_sha256?: string;
  regressions?: number;
  provider?: string;
  model?: string;
  skipped?: boolean;
  /** sha256 of the report file used as evidence (`promote --report`); absent when the gate ran the eval */
  report_sha256?: string;
  /** how many shard reports that evidence was merged from */
  shards?: number;
}

/** What a history entry records: a promotion, a rollback, or a step of a rollout (SPEC §12). */
export type HistoryAction = 'promote' | 'rollback' | RolloutAction;

/** The steps of a rollout; `rollout advance` records a `rollout-set` to the next stage. */
export type RolloutAction = 'rollout-start' | 'rollout-set' | 'rollout-abort' | 'rollout-complete';

export const ROLLOUT_ACTIONS: readonly RolloutAction[] = ['rollout-start', 'rollout-set', 'rollout-abort', 'rollout-complete'];

export interface HistoryEntry {
  action: HistoryAction;
  /** promote/rollback: the version pinned; rollout-*: the candidate */
  version: string;
  /** promote/rollback: the version pinned before; rollout-*: the stable version */
  from: string | null;
  /** rollout-*: the candidate's weight after this step (start: the first weight, abort: 0, complete: 100) */
  weight?: number;
  /** sha256 of the version file when this entry was written (lets rollback verify the bytes) */
  sha256?: string;
  /** the closure's other files when this entry was written (partials, extended versions) */
  deps?: DepsMap;
  at: string;
  by: string;
  reason?: string;
  eval?: EvalSummary;
  skip_eval?: boolean;
  /**
   * What the pin's `previous` became, when that is not `from` (a rollback sets it to the version
   * active before the restored one was promoted). Absent: `previous` = `from`.
   */
  previous?: string | null;
  /** the history chain (SPEC §15, core/env-chain.ts): sha256 over the predecessor's digest and this entry */
  digest?: string;
  /** on the oldest entry kept by history_limit only: the digest of the entry dropped below it */
  prev?: string;
}

export interface EnvPin {
  version: string;
  sha256: string;
  /** sha256 of every other file the version is resolved from (partials it includes, versions it extends) */
  deps?: DepsMap;
  previous: string | null;
  promoted_at: string;
  promoted_by: string;
  reason?: string;
  eval?: EvalSummary;
  /** a running rollout of a candidate version (SPEC §12) */
  rollout?: RolloutState;
  history: HistoryEntry[];
}

/** A pin's running rollout: `weight` percent of keys get the candidate `version`. */
export interface RolloutState {
  /** the candidate */
  version: string;
  /** sha256 of the candidate's version file when the rollout started */
  sha256: string;
  /** sha256 of every other file the candidate is resolved from (partials, parents), when it has any */
  deps?: DepsMap;
  /** percent of keys on the candidate, 0–100 with at most 2 decimals */
  weight: number;
  /** what keys are hashed with (default "<id>@<candidate>") */
  salt: string;
  /** the planned weights, ascending; `advance` moves to the next one */
  stages?: number[];
  started_at: string;
  started_by: string;
  /** when the weight was last set (start, set, advance): the current stage's start */
  updated_at: string;
  /** the gate's evidence, as for promote */
  eval?: EvalSummary;
}

/** environments/<env>.yaml */
export interface EnvironmentFile {
  environment: string;
  prompts: Record<string, EnvPin>;
  /** SPEC §15: approvals of versions for this environment, by "<id>@<version>", oldest first (written by `prompts approve`) */
  approvals?: Record<string, Approval[]>;
}

/** One approval (`prompts approve`): who approved which bytes, when, why. */
export interface Approval {
  /** the approver's git identity, "Name <email>" */
  by: string;
  at: string;
  /** sha256 of the version file approved */
  sha256: string;
  reason?: string;
}

/** environments.<env>.approvals */
export interface ApprovalsConfig {
  /** distinct approvals (not by the version's author, not by the promoter) that promote and rollout start need */
  required?: number;
  /** approval and promotion commits must verify with `git verify-commit` */
  signed?: boolean;
}

export interface GateConfig {
  min_pass_rate?: number;
  no_regressions?: boolean;
  provider?: string;
}

export interface EnvironmentConfig {
  requires?: string;
  /** progressive delivery: stages and the criteria of `rollout check` (SPEC §12) */
  rollout?: RolloutConfig;
  /** replaces the top-level budget for this environment */
  budget?: BudgetConfig;
  gate?: GateConfig;
  /** SPEC §15: approvals before promote / rollout start, and signed commits */
  approvals?: ApprovalsConfig;
  overrides?: { model?: Partial<ModelConfig> };
}

/** environments.<env>.rollout */
export interface RolloutConfig {
  /** the default stages of `rollout start` */
  stages?: number[];
  /** how long a stage runs before `check` may advance it: "90s", "30m", "2h", "1d", "1h30m" */
  min_stage_duration?: string;
  /** per arm, before `check` judges anything */
  min_requests?: number;
  /** every condition must hold for `check` to advance (metric name → "<op> <number>") */
  advance_when?: Record<string, string>;
  /** any condition that holds makes `check` abort */
  abort_when?: Record<string, string>;
  /** the metrics window of `check` (default 1h; `--window` overrides) */
  window?: string;
  metrics?: RolloutMetricsConfig;
}

export interface RolloutMetricsConfig {
  prometheus?: {
    url?: string;
    /** PromQL per metric; {{id}} {{version}} {{env}} {{window}} are filled in */
    queries?: Partial<Record<'requests' | 'errors' | 'p95_latency_ms' | 'cost_usd' | 'quality', string>>;
    /** per query (default 10000) */
    timeout_ms?: number;
  };
}

export interface ModelPrice {
  /** USD per 1M input (prompt) tokens */
  input_per_1m: number;
  /** USD per 1M output (completion) tokens */
  output_per_1m: number;
}

export interface ProviderConfig {
  type: 'openai' | 'anthropic' | 'echo';
  base_url?: string;
  api_key_env?: string;
  headers?: Record<string, string>;
  timeout_ms?: number;
  /** runtime: retries per call (eval uses eval.retries) */
  retries?: number;
  limits?: ProviderLimits;
  breaker?: BreakerConfig;
  prices?: Record<string, ModelPrice>;
}

/** runtime: per-process limits of one provider */
export interface ProviderLimits {
  requests_per_minute?: number;
  tokens_per_minute?: number;
  concurrency?: number;
}

/** runtime: the provider's circuit breaker */
export interface BreakerConfig {
  /** consecutive failed requests that open it (default 5) */
  failures?: number;
  /** how long it stays open before one probe is let through (default 10000) */
  cooldown_ms?: number;
}

/** runtime: spending limits of one process, priced from the providers' `prices` */
export interface BudgetConfig {
  usd_per_hour?: number;
  usd_per_day?: number;
}

export interface EvalConfig {
  concurrency?: number;
  timeout_ms?: number;
  retries?: number;
  max_consecutive_failures?: number;
  provider?: string;
}

/** prompts.config.yaml */
export interface ConfigFile {
  prompts_dir?: string;
  environments_dir?: string;
  history_limit?: number;
  budget?: BudgetConfig;
  environments?: Record<string, EnvironmentConfig>;
  providers?: Record<string, ProviderConfig>;
  eval?: EvalConfig;
}

/** Config with defaults applied. */
export interface ResolvedConfig {
  prompts_dir: string;
  environments_dir: string;
  history_limit: number;
  environments: Record<string, EnvironmentConfig>;
  /** environment names in promotion order (the order of the config's mapping) */
  environmentOrder: string[];
  providers: Record<string, ProviderConfig>;
  budget?: BudgetConfig;
  eval: Required<Omit<EvalConfig, 'provider'>> & { provider?: string };
}

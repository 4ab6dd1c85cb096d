/**
 * The bundle file written by `prompts build` and read by `loadBundle` (schemas/bundle.schema.json).
 *
 * Integrity: each entry carries `source`, the exact text of the version file, and `sha256`, the
 * digest of its bytes (the same digest the environment file records at promotion). Its runtime
 * fields (model with overrides, inputs, output, messages) are covered by `digest`, a sha256 over
 * the canonical JSON of { id, version, sha256, model, inputs, output, messages, fallback } (fallback left
 * out when the version has none, so bundles of versions without one keep their digests).
 * loadBundle checks both digests for every entry at load, and on the first `get(id)` re-parses
 * `source` and checks that the runtime fields are exactly what the source defines (with the
 * bundle's `overrides` applied). So an edited template, schema, model, version or sha256 is
 * refused, and the content in use is always the content whose sha256 the environment file records.
 *
 * A pin with a running rollout (SPEC §12) also carries `rollout`: the candidate as an entry of
 * its own (checked exactly like the stable one: sha256 of its source, its digest, re-derived from
 * its source before first use), its `weight` and `salt`, and a `digest` over { weight, salt,
 * candidate digest } so an edited weight or salt is refused too.
 */
import type { BudgetConfig, DepsMap, FallbackSpec, Message, ModelConfig, OutputSpec, JsonSchema, ProviderConfig, UsesMap } from '../core/types.js';
import type { PartialSpec } from '../core/partials.js';
import { canonicalJson } from '../core/json.js';
import { sha256 } from '../registry/files.js';

export const BUNDLE_FORMAT = 'promptrail-bundle';
export const BUNDLE_VERSION = 1;

export interface BundleEntry {
  id: string;
  version: string;
  /** sha256 of the version file's bytes (= the environment file's pin) */
  sha256: string;
  /** sha256 of the canonical JSON of the runtime fields (see entryDigest) */
  digest: string;
  /** model config with the environment's overrides applied */
  model: ModelConfig;
  inputs: JsonSchema | null;
  output: OutputSpec | null;
  messages: Message[];
  /** the version file's text, byte for byte */
  source: string;
  /** the version file's fallback, only when it declares one */
  fallback?: FallbackSpec;
  /** a prompt with partials: what its templates include (`{{> name}}` -> `<id>@<version>`) */
  uses?: UsesMap;
  /** a prompt with partials: every partial of its closure (template and own uses), by `<id>@<version>` */
  partials?: Record<string, PartialSpec>;
  /** a prompt with partials or parents: sha256 of each of those files (= the pin's deps) */
  deps?: DepsMap;
  /** their texts, byte for byte (loadBundle re-resolves the entry from `source` and these) */
  dep_sources?: Record<string, string>;
  /** a running rollout of a candidate version, only when the pin has one */
  rollout?: BundleRollout;
}

/** A running rollout in a bundle: the candidate's entry, the share of keys it gets, and how keys are hashed. */
export interface BundleRollout {
  /** percent of keys on the candidate (core/bucket.ts) */
  weight: number;
  salt: string;
  /** the rollout's planned stages (informational) */
  stages?: number[];
  /** sha256 of the canonical JSON of { weight, salt, candidate: <the candidate's digest> } (see rolloutDigest) */
  digest: string;
  candidate: Omit<BundleEntry, 'rollout'>;
}

/**
 * A provider as the runtime needs it: endpoint, the NAME of the key's environment variable (never
 * a key), timeouts, retries, limits, breaker and prices.
 */
export type BundleProvider = Pick<ProviderConfig, 'type' | 'base_url' | 'api_key_env' | 'headers' | 'timeout_ms' | 'retries' | 'limits' | 'breaker' | 'prices'>;

export interface BundleGit {
  /** the commit HEAD pointed at, or null outside git / before the first commit */
  commit: string | null;
  /** true when a bundled file (config, environment file or a pinned version file) differs from HEAD */
  dirty: boolean;
}

export interface BundleFile {
  format: typeof BUNDLE_FORMAT;
  bundle_version: typeof BUNDLE_VERSION;
  environment: string;
  git: BundleGit;
  /** only with `prompts build --timestamp` */
  built_at?: string;
  /** the environment's `overrides` from prompts.config.yaml (applied to every entry's model) */
  overrides: { model?: Partial<ModelConfig> };
  /** the providers the pinned prompts and their fallbacks use (absent in bundles of older builds) */
  providers?: Record<string, BundleProvider>;
  /** the environment's budget, null when none */
  budget?: BudgetConfig | null;
  /** sha256 of the canonical JSON of { providers, budget } (see runtimeConfigDigest) */
  config_digest?: string;
  /** keyed by prompt id, sorted */
  prompts: Record<string, BundleEntry>;
}

/** The runtime fields of one arm. */
export type ArmFields = Pick<BundleEntry, 'id' | 'version' | 'sha256' | 'model' | 'inputs' | 'output' | 'messages' | 'fallback' | 'uses' | 'partials' | 'deps'>;

/** What the runtime serves for one prompt: the stable arm's fields, and a running rollout's candidate. */
export type EntryFields = ArmFields & { rollout?: { weight: number; salt: string; candidate: ArmFields } };

/** The digest that covers a rollout's weight and salt and, through its digest, the candidate. */
export function rolloutDigest(weight: number, salt: string, candidateDigest: string): string {
  return sha256(canonicalJson({ weight, salt, candidate: candidateDigest }));
}

/** The digest that covers a bundle's runtime config: what run() calls, with which key variable, at which price. */
export function runtimeConfigDigest(providers: Record<string, BundleProvider>, budget: BudgetConfig | null): string {
  return sha256(canonicalJson({ providers, budget }));
}

/**
 * Checks an entry's digest. Fast path: bundles written by `prompts build` have every key sorted,
 * so JSON.stringify of the fields in sorted top-level order already is the canonical JSON;
 * anything else (keys reordered, integer-like keys) falls back to the canonical serializer.
 */
export function digestMatches(e: ArmFields, digest: string): boolean {
  const fast = sha256(
    JSON.stringify({
      deps: e.deps,
      fallback: e.fallback,
      id: e.id,
      inputs: e.inputs,
      messages: e.messages,
      model: e.model,
      output: e.output,
      partials: e.partials,
      sha256: e.sha256,
      uses: e.uses,
      version: e.version,
    }),
  );
  return fast === digest || entryDigest(e) === digest;
}

/** uses, partials and deps are part of it when present (entries without them keep their digests). */
export function entryDigest(e: ArmFields): string {
  return sha256(
    canonicalJson({
      id: e.id,
      version: e.version,
      sha256: e.sha256,
      model: e.model,
      inputs: e.inputs,
      output: e.output,
      messages: e.messages,
      fallback: e.fallback,
      uses: e.uses,
      partials: e.partials,
      deps: e.deps,
    }),
  );
}

/** The runtime fields of one arm (what its digest covers). */
export function entryFields(e: Omit<BundleEntry, 'rollout'>): ArmFields {
  const fields: ArmFields = { id: e.id, version: e.version, sha256: e.sha256, model: e.model, inputs: e.inputs, output: e.output, messages: e.messages };
  if (e.fallback !== undefined) fields.fallback = e.fallback;
  if (e.uses !== undefined) fields.uses = e.uses;
  if (e.partials !== undefined) fields.partials = e.partials;
  if (e.deps !== undefined) fields.deps = e.deps;
  return fields;
}

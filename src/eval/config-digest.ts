/**
 * The digest of the configuration an eval depends on: the config entries (type, base_url,
 * api_key_env, headers, timeout, prices) of every provider the run talks to — the provider
 * under test and the llm-rubric graders. A report is evidence for a gate only while this digest
 * matches the config as it is now (SPEC §11): pointing a provider at another endpoint changes it.
 */
import { sha256 } from '../registry/files.js';
import type { ProviderConfig } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { canonicalJson } from '../core/json.js';
import { graderOf } from './choose.js';
import type { EvalTarget } from './suite.js';
import { own } from '../core/own.js';

/** A provider's config entry (the name `echo` works without one), or undefined when unknown. */
export function providerConfigOf(registry: Registry, name: string): ProviderConfig | undefined {
  const cfg = own(registry.config.providers, name);
  return cfg ?? (name === 'echo' ? { type: 'echo' } : undefined);
}

/**
 * The providers a run of `target` on `provider` (model `model`) may talk to, sorted: graders of
 * every case of the suite count (not only the cases of this version or shard), so that every
 * shard of a run records the same digest.
 */
export function providersUsed(target: EvalTarget, provider: string, model: string): string[] {
  const names = new Set([provider]);
  const all = [...(target.suite.defaults?.assert ?? []), ...target.suite.cases.flatMap((c) => c.assert ?? [])];
  for (const a of all) if (a.type === 'llm-rubric') names.add(graderOf(a, provider, model).provider);
  return [...names].sort();
}

export function configDigest(registry: Registry, names: readonly string[]): string {
  const entries: Record<string, unknown> = {};
  for (const n of [...names].sort()) entries[n] = providerConfigOf(registry, n) ?? null;
  return sha256(canonicalJson({ v: 1, providers: entries }));
}

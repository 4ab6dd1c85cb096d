/** Bundle assembly: pinned prompts + git state → the bundle object and its deterministic JSON text. */
import { BUNDLE_FORMAT, BUNDLE_VERSION, runtimeConfigDigest, type BundleFile, type BundleGit } from './bundle-format.js';
import type { PinnedPrompts } from './collect.js';
import { sortKeysDeep } from '../core/json.js';

export function makeBundle(pinned: PinnedPrompts, git: BundleGit, builtAt?: string): BundleFile {
  const prompts: BundleFile['prompts'] = {};
  for (const e of [...pinned.entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) prompts[e.id] = e;
  const bundle: BundleFile = {
    format: BUNDLE_FORMAT,
    bundle_version: BUNDLE_VERSION,
    environment: pinned.env,
    git,
    overrides: pinned.overrides,
    providers: pinned.providers,
    budget: pinned.budget,
    config_digest: runtimeConfigDigest(pinned.providers, pinned.budget),
    prompts,
  };
  if (builtAt !== undefined) bundle.built_at = builtAt;
  return bundle;
}

/** Sorted keys at every level, two-space indent, trailing newline: same state → same bytes. */
export function serializeBundle(bundle: BundleFile): string {
  return `${JSON.stringify(sortKeysDeep(bundle), null, 2)}\n`;
}

/**
 * Resolves a user's reference — `<id>`, `<id>@<version>`, `<id>@<env>` or `<id>@latest` — to
 * one version file of the registry. Every failure is a UsageError (exit 2) naming what is wrong
 * and, where a near miss exists, what the user probably meant. Nothing is read but directory
 * listings and (for `@<env>`) the environment file.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import { parseRef } from '../core/ref.js';
import { didYouMean, suggestEnv } from '../core/suggest.js';
import type { Registry } from './registry.js';
import { hasOwnKey, own } from '../core/own.js';

export interface ResolvedRef {
  id: string;
  version: string;
  /** absolute path of the version file */
  file: string;
  /** the environment the version came from, for `<id>@<env>` and `<id>@<env>:candidate` */
  via?: string;
  /** `<id>@<env>:candidate`: the version is that environment's rollout candidate */
  arm?: 'candidate';
  /** for `<id>@<env>`: the sha256 the environment recorded for the file when it was promoted */
  pinnedSha256?: string;
  /** for `<id>@<env>`: the deps the environment recorded (the partials and parents it was resolved from) */
  pinnedDeps?: Record<string, string>;
}

/**
 * Resolves `ref` against `registry`. Throws UsageError (exit 2) for an invalid id or selector,
 * an unknown prompt, version or environment (with did-you-mean), an environment that does not
 * pin the prompt, or a pin to a version whose file is missing.
 */
export function resolveRef(registry: Registry, ref: string): ResolvedRef {
  const parsed = parseRef(ref);
  if ('problem' in parsed) {
    throw new UsageError(parsed.problem, { hint: 'a reference is <id>, <id>@<version>, <id>@<env> or <id>@latest' });
  }
  const { id, selector } = parsed;
  if (selector.kind === 'env') return resolveEnvRef(registry, ref, id, selector.env, selector.arm === 'candidate');
  const versions = registry.assertPromptExists(id, ref);
  if (selector.kind === 'latest') {
    const version = versions[versions.length - 1]!;
    return { id, version, file: registry.versionPath(id, version) };
  }
  const { version } = selector;
  if (!versions.includes(version)) {
    const file = registry.versionPath(id, version);
    const pins = registry.pinsOf(id).filter((p) => p.version === version);
    if (pins.length) {
      // released and pinned, then deleted: missing, not a typo
      throw new UsageError(`"${ref}" is missing: ${registry.rel(file)} was deleted, but ${pins.map((p) => p.env).join(', ')} pin${pins.length === 1 ? 's' : ''} it`, {
        hint: `restore it from git ("git log --diff-filter=D -- ${registry.rel(file)}" names the commit that deleted it); versions of ${id}: ${versions.join(', ')}`,
      });
    }
    const s = didYouMean(version, versions);
    throw new UsageError(`prompt "${id}" has no version ${version}${s ? `; did you mean "${s}"?` : ''}`, {
      hint: `versions of ${id}: ${versions.join(', ')}`,
    });
  }
  return { id, version, file: registry.versionPath(id, version) };
}

function resolveEnvRef(registry: Registry, ref: string, id: string, env: string, candidate: boolean): ResolvedRef {
  if (!hasOwnKey(registry.config.environments, env)) {
    const candidates = [...registry.config.environmentOrder, 'latest'];
    const s = suggestEnv(env, candidates);
    throw new UsageError(`unknown environment "${env}" in "${ref}"${s ? `; did you mean "${s}"?` : ''}`, {
      hint: `environments in prompts.config.yaml: ${registry.config.environmentOrder.join(', ')}; or use a version or "latest"`,
    });
  }
  const loaded = registry.loadEnv(env);
  const pin = own(loaded.value.prompts, id);
  if (!pin) {
    registry.assertPromptExists(id, ref); // an unknown prompt says so (with did-you-mean)
    throw new UsageError(`prompt "${id}" is not pinned in environment "${env}" (in "${ref}")`, {
      hint: `promote it first ("prompts promote ${id}@<version> --env ${env}") or use ${id}@latest`,
    });
  }
  if (candidate && !pin.rollout) {
    throw new UsageError(`no rollout of ${id} is running in environment "${env}", so "${ref}" has no candidate`, { hint: `${id}@${env} is the pinned version (${pin.version}); "prompts rollout status" lists the running rollouts` });
  }
  const version = candidate ? pin.rollout!.version : pin.version;
  const recorded = candidate ? pin.rollout!.sha256 : pin.sha256;
  const file = registry.versionPath(id, version);
  if (!fs.existsSync(file)) {
    throw new UsageError(`"${ref}" is missing: environment "${env}" ${candidate ? 'rolls out' : 'pins'} ${id}@${version}, but ${registry.rel(file)} was deleted`, {
      location: { file: registry.rel(loaded.file) },
      hint: `restore it from git ("git log --diff-filter=D -- ${registry.rel(file)}" names the commit that deleted it), or ${candidate ? `abort the rollout ("prompts rollout abort ${id} --env ${env} --reason <why>")` : `roll the pin back ("prompts rollback ${id} --env ${env}")`}`,
    });
  }
  const recordedDeps = candidate ? pin.rollout!.deps : pin.deps;
  return { id, version, file, via: env, ...(candidate ? { arm: 'candidate' as const } : {}), ...(typeof recorded === 'string' ? { pinnedSha256: recorded } : {}), ...(recordedDeps ? { pinnedDeps: recordedDeps } : {}) };
}

/** "production", or "production:candidate" for a rollout's candidate. */
export function refPlace(ref: ResolvedRef): string | undefined {
  return ref.via === undefined ? undefined : `${ref.via}${ref.arm === 'candidate' ? ':candidate' : ''}`;
}

/** The warning for a `<id>@<env>` whose file no longer has the bytes that were promoted. */
export function pinMismatchWarning(ref: ResolvedRef, rel: string): string {
  return `warning: ${rel} changed after it was promoted to ${refPlace(ref) ?? '?'} (its sha256 no longer matches the one recorded there), so this is not what was promoted; restore it with "git checkout HEAD -- ${rel}" and run "prompts validate"`;
}

/** The warning for a `<id>@<env>` whose partials or parents no longer have the bytes that were promoted. */
export function depsMismatchWarning(ref: ResolvedRef, drift: readonly string[]): string {
  return `warning: ${ref.id}@${ref.version} is resolved from other files than when it was promoted to ${refPlace(ref) ?? '?'} (${drift.join('; ')}), so this is not what was promoted; run "prompts validate"`;
}

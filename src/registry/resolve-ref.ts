/**
 * Resolves a user's reference — `<id>`, `<id>@<version>`, `<id>@<env>` or `<id>@latest` — to
 * one version file of the registry. Every failure is a UsageError (exit 2) naming what is wrong
 * and, where a near miss exists, what the user probably meant. Nothing is read but directory
 * listings and (for `@<env>`) the environment file.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import { parseRef } from '../core/ref.js';
import { didYouMean } from '../core/suggest.js';
import type { Registry } from './registry.js';

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
  const versions = registry.assertPromptExists(id);
  switch (selector.kind) {
    case 'latest': {
      const version = versions[versions.length - 1]!;
      return { id, version, file: registry.versionPath(id, version) };
    }
    case 'version': {
      const { version } = selector;
      if (!versions.includes(version)) {
        const s = didYouMean(version, versions);
        throw new UsageError(`prompt "${id}" has no version ${version}${s ? `; did you mean "${s}"?` : ''}`, {
          hint: `versions of ${id}: ${versions.join(', ')}`,
        });
      }
      return { id, version, file: registry.versionPath(id, version) };
    }
    case 'env': {
      const env = selector.env;
      if (!(env in registry.config.environments)) {
        const candidates = [...registry.config.environmentOrder, 'latest'];
        const s = didYouMean(env, candidates) ?? candidates.find((c) => c.startsWith(env));
        throw new UsageError(`unknown environment "${env}" in "${ref}"${s ? `; did you mean "${s}"?` : ''}`, {
          hint: `environments in prompts.config.yaml: ${registry.config.environmentOrder.join(', ')}; or use a version or "latest"`,
        });
      }
      const loaded = registry.loadEnv(env);
      const pin = loaded.value.prompts[id];
      if (!pin) {
        throw new UsageError(`prompt "${id}" is not pinned in environment "${env}"`, {
          hint: `promote it first ("prompts promote ${id}@<version> --env ${env}") or use ${id}@latest`,
        });
      }
      const candidate = selector.arm === 'candidate';
      if (candidate && !pin.rollout) {
        throw new UsageError(`no rollout of ${id} is running in environment "${env}", so "${ref}" has no candidate`, { hint: `${id}@${env} is the pinned version (${pin.version}); "prompts rollout status" lists the running rollouts` });
      }
      const version = candidate ? pin.rollout!.version : pin.version;
      const recorded = candidate ? pin.rollout!.sha256 : pin.sha256;
      const file = registry.versionPath(id, version);
      if (!fs.existsSync(file)) {
        throw new UsageError(`environment "${env}" ${candidate ? 'rolls out' : 'pins'} ${id}@${version}, but ${registry.rel(file)} does not exist`, {
          location: { file: registry.rel(loaded.file) },
          hint: 'restore the version file from git, or promote an existing version',
        });
      }
      return { id, version, file, via: env, ...(candidate ? { arm: 'candidate' as const } : {}), ...(typeof recorded === 'string' ? { pinnedSha256: recorded } : {}) };
    }
  }
}

/** "production", or "production:candidate" for a rollout's candidate. */
export function refPlace(ref: ResolvedRef): string | undefined {
  return ref.via === undefined ? undefined : `${ref.via}${ref.arm === 'candidate' ? ':candidate' : ''}`;
}

/** The warning for a `<id>@<env>` whose file no longer has the bytes that were promoted. */
export function pinMismatchWarning(ref: ResolvedRef, rel: string): string {
  return `warning: ${rel} changed after it was promoted to ${refPlace(ref) ?? '?'} (its sha256 no longer matches the one recorded there), so this is not what was promoted; restore it with "git checkout HEAD -- ${rel}" and run "prompts validate"`;
}

/**
 * Which prompts one `prompts eval` evaluates: the refs given, every prompt (`--all`), or the
 * prompts whose version files or suite changed since a base revision (`--changed`).
 */
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import { isStrictSemver } from '../core/ref.js';
import type { Registry } from '../registry/registry.js';
import { SUITE_FILE } from '../paths.js';

export interface ChangedSelection {
  ids: string[];
  base: { rev: string; commit: string; source: string };
}

/**
 * The prompt ids a list of changed paths (relative to the registry root, `/`-separated) touches:
 * `<prompts_dir>/<id>/<semver>.yaml` and `<prompts_dir>/<id>/evals.yaml`. Other files (the
 * config, environments, README) select nothing.
 */
export function promptIdsOfPaths(paths: readonly string[], promptsDirRel: string): string[] {
  const prefix = `${promptsDirRel.split(path.sep).join('/').replace(/\/+$/, '')}/`;
  const ids = new Set<string>();
  for (const p of paths) {
    if (!p.startsWith(prefix)) continue;
    const inner = p.slice(prefix.length);
    const slash = inner.lastIndexOf('/');
    if (slash <= 0) continue;
    const file = inner.slice(slash + 1);
    if (file === SUITE_FILE || (file.endsWith('.yaml') && isStrictSemver(file.slice(0, -5)))) ids.add(inner.slice(0, slash));
  }
  return [...ids].sort();
}

export async function changedPrompts(registry: Registry, rev: string | undefined, env: NodeJS.ProcessEnv): Promise<ChangedSelection> {
  const { changeBase, changedPaths } = await import('../git/changes.js');
  const { repoInfo } = await import('../git/repo.js');
  if (!(await repoInfo(registry.root))) {
    throw new UsageError(`--changed needs a git repository, but ${registry.root} is not inside one`, { hint: 'name the prompts to evaluate, or use --all' });
  }
  let base;
  try {
    base = await changeBase(registry.root, rev, env);
  } catch (e) {
    throw new UsageError(`--changed: cannot find the merge-base of ${rev ?? 'the base'} and HEAD (${(e as Error).message})`, { hint: 'fetch the base branch with its history (actions/checkout: fetch-depth: 0)' });
  }
  if (!base) {
    throw new UsageError(rev !== undefined ? `unknown revision "${rev}" for --base` : '--changed: no base revision (no commit yet)', {
      hint: 'pass a commit, branch or tag that exists here (e.g. --base origin/main); in CI fetch enough history',
    });
  }
  const promptsRel = path.relative(registry.root, registry.promptsDir) || '.';
  const paths = await changedPaths(registry.root, base.commit, promptsRel);
  return { ids: promptIdsOfPaths(paths, promptsRel), base: { rev: base.rev, commit: base.commit, source: base.source } };
}

/**
 * What changed in a work tree since a base revision, for `prompts eval --changed [--base <rev>]`:
 * the base is the merge-base of `<rev>` and HEAD (what a pull request changed, as GitHub's
 * "Files changed" shows it, even when `<rev>` moved on since), and the changes are those of the
 * working tree against it — committed, staged, unstaged and untracked (not ignored) files.
 */
import { git, GitError } from './run.js';
import { resolveCommit } from './staged.js';

export interface ChangeBase {
  /** the revision as given or chosen */
  rev: string;
  /** why this revision (for messages): given, GITHUB_BASE_REF, upstream, HEAD */
  source: 'given' | 'github' | 'upstream' | 'head';
  /** the merge-base commit the working tree is compared with */
  commit: string;
}

async function tryResolve(cwd: string, rev: string): Promise<string | null> {
  return resolveCommit(cwd, rev);
}

/**
 * The base for `--changed`: `rev` when given; else under GitHub Actions on a pull request
 * `origin/$GITHUB_BASE_REF`; else the upstream of the current branch (`@{upstream}`); else HEAD
 * (only uncommitted changes count). Returns null for a `rev` that does not resolve; throws
 * GitError when the merge-base cannot be found (unrelated histories, a shallow clone).
 */
export async function changeBase(cwd: string, rev: string | undefined, env: NodeJS.ProcessEnv): Promise<ChangeBase | null> {
  let chosen: { rev: string; source: ChangeBase['source']; commit: string } | null = null;
  if (rev !== undefined) {
    const c = await tryResolve(cwd, rev);
    if (!c) return null;
    chosen = { rev, source: 'given', commit: c };
  } else {
    const gh = env.GITHUB_BASE_REF;
    const candidates: { rev: string; source: ChangeBase['source'] }[] = [];
    if (gh && /^[A-Za-z0-9._/-]+$/.test(gh) && !gh.startsWith('-')) candidates.push({ rev: `origin/${gh}`, source: 'github' });
    candidates.push({ rev: '@{upstream}', source: 'upstream' }, { rev: 'HEAD', source: 'head' });
    for (const cand of candidates) {
      const c = await tryResolve(cwd, cand.rev);
      if (c) {
        chosen = { ...cand, commit: c };
        break;
      }
    }
    if (!chosen) return null;
  }
  const head = await tryResolve(cwd, 'HEAD');
  if (!head) return { rev: chosen.rev, source: chosen.source, commit: chosen.commit };
  const mb = (await git(cwd, ['merge-base', chosen.commit, head], { okCodes: [1] })).trim();
  if (!mb) throw new GitError(`no common history between ${chosen.rev} and HEAD`, ['merge-base'], 1, '');
  return { rev: chosen.rev, source: chosen.source, commit: mb };
}

/**
 * Paths (relative to `cwd`, `/`-separated) under `pathspec` that differ between `commit` and the
 * working tree, plus untracked files that are not ignored. Deleted files are included.
 */
export async function changedPaths(cwd: string, commit: string, pathspec: string): Promise<string[]> {
  const spec = `:(literal)${pathspec}`;
  const [diff, untracked] = await Promise.all([
    git(cwd, ['diff', '--name-only', '-z', '--no-renames', '--relative', commit, '--', spec]),
    git(cwd, ['ls-files', '-z', '--others', '--exclude-standard', '--', spec]),
  ]);
  const out = new Set<string>();
  for (const p of [...diff.split('\0'), ...untracked.split('\0')]) if (p) out.add(p);
  return [...out].sort();
}

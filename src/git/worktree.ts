/**
 * The working tree and index against a commit, for `validate --base` and `bump`: one spawn each
 * (run.ts), as these sit on paths where start-up time counts.
 */
import { git, gitBuffer } from './run.js';

export interface PathChange {
  /** A added, M modified, D deleted, T type changed, … */
  status: string;
  path: string;
}

/**
 * Paths under `paths` (relative to `cwd`, reported relative to it) that differ between `rev` and
 * the working tree, or the index with `cached`. Renames are reported as delete + add.
 */
export async function changesAgainst(cwd: string, rev: string, paths: string[], opts: { cached?: boolean } = {}): Promise<PathChange[]> {
  const args = ['diff', '--name-status', '-z', '--no-renames', '--relative', ...(opts.cached ? ['--cached'] : []), rev, '--', ...paths];
  const parts = (await git(cwd, args)).split('\0');
  const out: PathChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!;
    if (!status) break;
    out.push({ status: status[0]!, path: parts[i + 1]! });
  }
  return out;
}

/** Paths (relative to `top`) under `pathspec` whose working-tree or staged content differs from HEAD. */
export async function pathsDifferingFromHead(top: string, pathspec: string): Promise<string[]> {
  return (await git(top, ['diff', '--name-only', '-z', 'HEAD', '--', pathspec])).split('\0').filter(Boolean);
}

/**
 * The bytes of `file` (relative to `top`) at HEAD as a checkout would write them (core.autocrlf,
 * .gitattributes eol applied), or null when HEAD has no such file.
 */
export async function committedBytes(top: string, file: string): Promise<Buffer | null> {
  try {
    return await gitBuffer(top, ['cat-file', '--filters', `HEAD:${file}`]);
  } catch {
    return null;
  }
}

/** Resets the index entry of `file` (relative to `top`) to HEAD when it has a staged change; true when it did. */
export async function unstageIfStaged(top: string, file: string): Promise<boolean> {
  const staged = await git(top, ['diff', '--cached', '--name-only', '--', file]);
  if (staged.trim() === '') return false;
  // `git reset -- <path>` only resets that path's index entry (works before git 2.23's restore)
  await git(top, ['reset', '-q', 'HEAD', '--', file]);
  return true;
}

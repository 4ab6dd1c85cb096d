/**
 * What promote/rollback need to know about the repository before writing anything: is this a
 * git work tree, which files are dirty or untracked, who is the author. Every call takes the
 * repo dir; `--no-optional-locks` keeps read-only calls from racing concurrent commits for
 * `.git/index.lock`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { git, GitError } from './run.js';
import { simpleGitModule, viaSimpleGit } from './engine.js';

export interface RepoInfo {
  /** the work tree's top level (absolute, as git reports it) */
  top: string;
  shallow: boolean;
  /** this work tree's git directory (absolute; a linked worktree has its own) */
  gitDir: string;
}

/** null when `dir` is not inside a git work tree (or git is missing). */
export async function repoInfo(dir: string): Promise<RepoInfo | null> {
  try {
    const lines = (await git(dir, ['rev-parse', '--show-toplevel', '--is-shallow-repository', '--absolute-git-dir'])).split('\n');
    const top = lines[0]?.trim();
    if (!top) return null;
    return { top, shallow: lines[1]?.trim() === 'true', gitDir: lines[2]?.trim() ?? path.join(top, '.git') };
  } catch {
    return null;
  }
}

/** A git operation in progress in a work tree, or a detached HEAD: what a promptrail commit must not land in. */
export interface InProgress {
  what: 'rebase' | 'am' | 'merge' | 'cherry-pick' | 'revert' | 'bisect' | 'detached HEAD';
  hint: string;
}

/**
 * Is a rebase, `git am`, merge, cherry-pick, revert or bisect in progress, or HEAD detached?
 * Read from the git directory's own marker files (what `git status` looks at), no process.
 */
export function operationInProgress(gitDir: string): InProgress | null {
  const has = (name: string): boolean => fs.existsSync(path.join(gitDir, name));
  if (has('rebase-merge') || (has('rebase-apply') && !has('rebase-apply/applying'))) {
    return { what: 'rebase', hint: 'finish it ("git rebase --continue") or abort it ("git rebase --abort") first' };
  }
  if (has('rebase-apply')) return { what: 'am', hint: 'finish it ("git am --continue") or abort it ("git am --abort") first' };
  if (has('MERGE_HEAD')) return { what: 'merge', hint: 'conclude it ("git commit") or abort it ("git merge --abort") first' };
  if (has('REVERT_HEAD')) return { what: 'revert', hint: 'finish it ("git revert --continue") or abort it ("git revert --abort") first' };
  if (has('CHERRY_PICK_HEAD') || has('sequencer/todo')) return { what: 'cherry-pick', hint: 'finish it ("git cherry-pick --continue") or abort it ("git cherry-pick --abort") first' };
  if (has('BISECT_LOG') || has('BISECT_START')) return { what: 'bisect', hint: 'end it ("git bisect reset") first' };
  let head: string;
  try {
    head = fs.readFileSync(path.join(gitDir, 'HEAD'), 'utf8');
  } catch {
    return null;
  }
  if (!head.startsWith('ref:')) return { what: 'detached HEAD', hint: 'check out the branch to commit to ("git switch <branch>") first' };
  return null;
}

export type PathState = 'clean' | 'modified' | 'untracked' | 'ignored';

/**
 * The state of each path (relative to `top`) against HEAD and the index: anything staged or
 * unstaged is `modified`; `??` untracked; `!!` ignored; absent from git's output = clean.
 */
export async function pathStates(top: string, paths: string[]): Promise<Map<string, PathState>> {
  const listed = await changedPaths(top, paths);
  return new Map(paths.map((p) => [p, listed.get(p) ?? 'clean']));
}

/**
 * The paths among `paths` (relative to `dir`, which may be any folder of the work tree) that
 * are not clean (staged or unstaged: `modified`; `??` untracked; `!!` ignored), keyed as git
 * prints them: relative to the top of the work tree. One `git status`, which needs no repo top
 * first, so it can run beside the call that finds it.
 */
export async function changedPaths(dir: string, paths: string[]): Promise<Map<string, PathState>> {
  const out = await git(dir, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored=matching', '--', ...paths.map((p) => `:(literal)${p}`)]);
  const states = new Map<string, PathState>();
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const rec = parts[i]!;
    if (rec.length < 4) continue;
    const xy = rec.slice(0, 2);
    const p = rec.slice(3);
    if (xy[0] === 'R' || xy[0] === 'C') i++; // the next field is the source path
    states.set(p, xy === '??' ? 'untracked' : xy === '!!' ? 'ignored' : 'modified');
  }
  return states;
}

/** "Name <email>" as git would author a commit, else the OS user. */
export async function authorIdent(dir: string | null, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (dir) {
    try {
      const ident = (await git(dir, ['var', 'GIT_AUTHOR_IDENT'])).trim();
      const m = /^(.*<[^>]*>)\s+\d+\s+[-+]\d{4}$/.exec(ident);
      if (m) return m[1]!;
    } catch {
      /* no identity configured */
    }
  }
  try {
    return os.userInfo().username || env.USER || 'unknown';
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

export function isIndexLockError(e: unknown): boolean {
  return e instanceof GitError && /index\.lock|Unable to create .*\.lock/i.test(e.stderr);
}

/** The top level of the work tree containing `cwd`, or null outside git (one spawn; also validate's). */
export { gitTopLevel } from './run.js';

/** HEAD's commit id, or null (no commits yet, or not a repository). Via simple-git. */
export async function headCommit(dir: string): Promise<string | null> {
  try {
    return (await viaSimpleGit(dir, ['rev-parse'], (g) => g.revparse(['--verify', '--quiet', 'HEAD^{commit}']), { okCodes: [1] })).trim() || null;
  } catch {
    return null;
  }
}

/**
 * Does any of `paths` (relative to `dir`) differ from HEAD: modified, staged or untracked
 * (ignored files do not count)? Via simple-git's status.
 */
export async function hasUncommittedChanges(dir: string, paths: string[]): Promise<boolean> {
  const { pathspec } = await simpleGitModule();
  const status = await viaSimpleGit(dir, ['status'], (g) => g.status([pathspec(...paths)]));
  return status.files.length > 0;
}

/** A git config value as git resolves it for `dir` (repo, global, system), or undefined when unset. */
export async function configValue(dir: string, key: string): Promise<string | undefined> {
  try {
    const v = (await git(dir, ['config', '--get', key], { okCodes: [1] })).trim();
    return v || undefined;
  } catch {
    return undefined;
  }
}

/**
 * HEAD's commit and whether any of `paths` (relative to `dir`) differs from it, untracked files
 * counting as changes; null outside a git work tree. All via simple-git (`build`).
 */
export async function worktreeState(dir: string, paths: string[]): Promise<{ commit: string | null; dirty: boolean } | null> {
  const inside = await viaSimpleGit(dir, ['rev-parse'], (g) => g.checkIsRepo()).catch(() => false);
  if (!inside) return null;
  const [commit, dirty] = await Promise.all([headCommit(dir), hasUncommittedChanges(dir, paths)]);
  return { commit, dirty };
}

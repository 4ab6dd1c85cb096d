/**
 * The git side of an environment change, settled before anything is written: is this a work
 * tree (else no commit), is the pinned version file committed (the promoted bytes must be the
 * reviewed bytes: exit 3 otherwise), where `--push` goes and whether it would publish other
 * local commits (exit 3), who the author is. `startGitProbe` runs the calls that depend on
 * nothing while the command reads its files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError } from '../errors.js';
import { assertRealDir } from '../registry/files.js';
import type { Registry } from '../registry/registry.js';
import { repoInfo, changedPaths, authorIdent, operationInProgress, type RepoInfo, type PathState } from '../git/repo.js';
import { lockAbandoned, lockHeld } from '../registry/lock.js';
import type { PendingCommit, PushTarget } from '../git/push.js';

export interface GitProbe {
  repo: RepoInfo | null;
  /** who is recorded in the pin and history: git's author ident in a work tree, else the OS user */
  by: string;
}

/**
 * Starts the git calls that need nothing but a folder (work tree, author), so they run while
 * the command reads its files. `dir` may be where the command was started (before the
 * registry is even found): `forRegistry` then checks it found the registry's repository.
 */
export function startGitProbe(dir: string, env: NodeJS.ProcessEnv): Promise<GitProbe> {
  const p = Promise.all([repoInfo(dir), authorIdent(dir, env)]).then(async ([repo, ident]) => ({ repo, by: repo ? ident : await authorIdent(null, env) }));
  p.catch(() => undefined); // awaited later; a refusal before then must not leave it unhandled
  return p;
}

/**
 * A probe started in `from` (the command's folder, inside the registry root) as a probe of the
 * registry `root`: the same when the work tree found contains the root (no other repository
 * can sit between them), else probed again from the root (a repository nested in the registry).
 */
export function forRegistry(probe: Promise<GitProbe>, from: string, root: string, env: NodeJS.ProcessEnv): Promise<GitProbe> {
  if (path.resolve(from) === path.resolve(root)) return probe;
  const p = probe.then((g) => {
    const realRoot = fs.realpathSync(root);
    if (g.repo && (realRoot === g.repo.top || realRoot.startsWith(g.repo.top.endsWith(path.sep) ? g.repo.top : `${g.repo.top}${path.sep}`))) return g;
    return startGitProbe(root, env);
  });
  p.catch(() => undefined);
  return p;
}

export interface WatchedFile {
  /** path relative to the repo top */
  rel: string;
  state: PathState;
}

export interface GitTarget {
  /** null: not a git work tree, or --no-commit: no commit is made */
  repo: RepoInfo | null;
  /** the env file relative to the repo top */
  envRel: string | null;
  envState: PathState | null;
  pushTarget: PushTarget | null;
  /** the state of each `watch` file, by its absolute path (in a work tree only) */
  watched: Map<string, WatchedFile>;
  /** what the user should hear before anything is written (printed by the command when it awaits this) */
  notes: GitNote[];
  /** the env file looked dirty while another promptrail held the lock: check again under the lock */
  recheckEnv?: boolean;
  /** with --push: promptrail's own earlier commits not on the remote yet (a failed or killed push), newest first */
  pending?: PendingCommit[];
}

export interface GitNote {
  level: 'info' | 'warn';
  text: string;
}

export interface PreflightOptions {
  probe: Promise<GitProbe>;
  /** absolute paths: the environment file, and the version file whose bytes get pinned */
  envFile: string;
  pinnedFile: string | null;
  /** absolute paths of the other files the pinned version is resolved from (partials, parents): committed too */
  pinnedDeps?: string[];
  /** other files whose git state the command wants to know (one `git status` for all) */
  watch?: string[];
  commit: boolean;
  push: boolean;
  /**
   * Nothing new will be written (the change is in effect already) and only promptrail's pending
   * commits may be pushed: other unpushed commits and a dirty env file are not refusals then
   * (nothing is pushed when other commits are there).
   */
  pendingOnly?: boolean;
}

/**
 * Throws ConflictError (exit 3) for an uncommitted or untracked pinned file, or a push that
 * would publish other local commits; UsageError (exit 2) when there is nowhere to push to.
 * Prints nothing: its notes are for the command to print when it awaits the result, so a check
 * that fails meanwhile is not preceded by them.
 */
export async function preflight(registry: Registry, opts: PreflightOptions): Promise<GitTarget> {
  // before any git call or gate: the lock and the environment file must stay inside the
  // registry (a `.prompts` or `environments` that is a symbolic link would take them elsewhere)
  assertRealDir(registry.root, path.join(registry.stateDir, 'locks'), { what: 'keeps its locks' });
  assertRealDir(registry.root, path.dirname(opts.envFile), { what: 'writes environment files' });
  // `git status` of the files runs beside the probe: from the registry root, with paths
  // relative to it (git prints them relative to the top, matched below once the top is known)
  const fromRoot = (f: string): string => path.relative(registry.root, f).split(path.sep).join('/');
  const watchFiles = opts.watch ?? [];
  const depFiles = opts.pinnedDeps ?? [];
  const files = [opts.envFile, ...(opts.pinnedFile ? [opts.pinnedFile] : []), ...depFiles, ...watchFiles];
  const statusP = opts.commit ? changedPaths(registry.root, files.map(fromRoot)) : null;
  statusP?.catch(() => undefined); // not a work tree: the probe says so
  const probe = await opts.probe;
  const repo = opts.commit ? probe.repo : null;
  if (!repo) {
    const notes: GitNote[] = opts.commit ? [{ level: 'info', text: `note: ${registry.root} is not in a git repository; the environment file is written without a commit` }] : [];
    return { repo: null, envRel: null, envState: null, pushTarget: null, watched: new Map(), notes };
  }
  // a commit now would land in the middle of the user's rebase/merge/…, or on no branch at all
  const op = operationInProgress(repo.gitDir);
  if (op) {
    throw new ConflictError(op.what === 'detached HEAD' ? 'refusing to commit on a detached HEAD: the commit would be on no branch' : `refusing to commit: a ${op.what} is in progress in ${repo.top}`, {
      hint: `${op.hint}, or pass --no-commit to write the file without committing`,
    });
  }
  // git reports real paths: map registry paths through the registry root with symlinks resolved
  const realRoot = fs.realpathSync(registry.root);
  const relTop = (f: string): string => path.relative(repo.top, path.join(realRoot, path.relative(registry.root, f))).split(path.sep).join('/');
  const envRel = relTop(opts.envFile);
  const versionRel = opts.pinnedFile ? relTop(opts.pinnedFile) : null;
  const watch = watchFiles.map((f) => ({ file: f, rel: relTop(f) }));
  const [states, pushTarget] = await Promise.all([
    statusP!,
    opts.push ? import('../git/push.js').then((m) => m.resolvePushTarget(repo.top)) : Promise.resolve(null),
  ]);
  if (versionRel) {
    // the version file, then each file it is resolved from: all of them are what gets pinned
    for (const [file, rel] of [[opts.pinnedFile!, versionRel], ...depFiles.map((f) => [f, relTop(f)] as const)] as const) {
      const st = states.get(rel) ?? 'clean';
      if (st === 'clean') continue;
      const what = st === 'modified' ? 'has uncommitted changes' : st === 'ignored' ? 'is ignored by git (never committed)' : 'is untracked (never committed)';
      const dep = rel !== versionRel ? `, which it is resolved from (a partial or parent)` : '';
      throw new ConflictError(`refusing to pin ${versionRel}: ${dep ? `${rel}${dep},` : 'it'} ${what}; the promoted bytes must be the reviewed, committed bytes`, {
        location: { file: registry.rel(file) },
        hint: `commit it first ("git add ${rel} && git commit"), or pass --no-commit to skip git entirely`,
      });
    }
  }
  let pending: PendingCommit[] = [];
  if (pushTarget) {
    // --push publishes HEAD: local commits that are not on the remote yet would go out with the
    // change's one-file commit, unreviewed. Refuse before writing anything — except promptrail's
    // own environment commits whose push failed or was killed: publishing those is what was asked.
    const { pendingCommits } = await import('../git/push.js');
    const envDir = relTop(registry.environmentsDir);
    const ahead = (await pendingCommits(repo.top, pushTarget)) ?? [];
    const others = ahead.filter((c) => !isOwnEnvCommit(c, envDir));
    if (others.length > 0 && opts.pendingOnly) {
      const up = `${pushTarget.remote}/${pushTarget.branch}`;
      return {
        repo, envRel, envState: states.get(envRel) ?? 'clean', pushTarget, watched: new Map(), pending: [],
        notes: [{ level: 'warn', text: `warning: not pushing: the branch has ${others.length} local commit${others.length === 1 ? '' : 's'} not on ${up} that promptrail did not make ("git log ${up}..HEAD")` }],
      };
    }
    if (others.length > 0) {
      const up = `${pushTarget.remote}/${pushTarget.branch}`;
      const n = others.length;
      throw new ConflictError(`refusing to --push: the branch has ${n} local commit${n === 1 ? '' : 's'} not on ${up}, which the push would publish along with this change`, {
        hint: `push or drop ${n === 1 ? 'it' : 'them'} first ("git log ${up}..HEAD" lists ${n === 1 ? 'it' : 'them'}), or run without --push and push yourself`,
      });
    }
    pending = ahead;
  }
  let envState = states.get(envRel) ?? 'clean';
  // uncommitted edits of the environment file would be swept into promptrail's one-file commit,
  // under its subject: refused. Another promptrail process may be between its write and its
  // commit (it holds the lock): then the same check is made again under the lock (applyPlan);
  // one that has just released it is seen by asking git once more.
  let recheckEnv = false;
  const dirty = (st: PathState): boolean => st === 'modified' || st === 'untracked';
  const held = (): boolean => lockHeld(path.join(registry.stateDir, 'locks'), 'environments');
  // (asked a few times: several promptrail processes can each write and commit between two looks)
  for (let look = 0; look < 5 && dirty(envState) && !held() && !opts.pendingOnly; look++) envState = (await changedPaths(repo.top, [envRel])).get(envRel) ?? 'clean';
  // a promptrail process killed between its (atomic) write and its commit left the lock behind:
  // the uncommitted change is its complete write, not a hand edit, and this change commits it
  const abandoned = dirty(envState) && !held() && lockAbandoned(path.join(registry.stateDir, 'locks'), 'environments');
  if (dirty(envState) && !opts.pendingOnly && !abandoned) {
    if (!held() && (await changedPaths(repo.top, [envRel])).get(envRel) === envState && !held()) throw dirtyEnvFile(envRel, envState);
    recheckEnv = true;
  }
  const watched = new Map(watch.map((w) => [w.file, { rel: w.rel, state: states.get(w.rel) ?? 'clean' }] as const));
  const notes: GitNote[] = pending.length
    ? [{ level: 'info', text: `note: also pushing ${pending.length} earlier promptrail commit${pending.length === 1 ? '' : 's'} not on ${pushTarget!.remote}/${pushTarget!.branch} yet: ${pending.map((c) => `"${c.subject}"`).join(', ')}` }]
    : [];
  return { repo, envRel, envState, pushTarget, watched, notes, recheckEnv, pending };
}

const OWN_SUBJECT = /^prompts\([a-z0-9][a-z0-9_-]{0,63}\): [a-z-]+ \S+/;

/** A commit promptrail made: its subject, and exactly one file changed, an environment file (`envDir` relative to the repo top). */
export function isOwnEnvCommit(c: PendingCommit, envDir: string): boolean {
  const f = c.files[0];
  return OWN_SUBJECT.test(c.subject) && c.files.length === 1 && f !== undefined && path.posix.dirname(f) === (envDir || '.') && f.endsWith('.yaml');
}

/** The refusal (exit 3) of a commit onto an environment file with uncommitted changes. */
export function dirtyEnvFile(envRel: string, state: PathState): ConflictError {
  const untracked = state === 'untracked';
  return new ConflictError(`${envRel} has uncommitted changes${untracked ? ' (it is untracked)' : ''}; promptrail's commit must hold its own change alone, not them`, {
    hint: `commit them if you want them ("git add ${envRel} && git commit"), or discard them ("${untracked ? `rm ${envRel}` : `git checkout HEAD -- ${envRel}`}"), then run the command again; or pass --no-commit`,
  });
}

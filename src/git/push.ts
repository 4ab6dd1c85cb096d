/**
 * `--push`: push the branch; when the remote moved on (non-fast-forward), fetch, rebase the
 * local commit onto it, regenerate the environment file from the remote's version (the plan
 * is re-checked against it: a concurrent change to the same prompt is a conflict, exit 3),
 * and try again, a bounded number of times. Every git call here goes through simple-git.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../registry/files.js';
import { GitError } from './run.js';
import { sgRaw, viaSimpleGit } from './engine.js';
import { commitFile } from './commit.js';

export interface PushTarget {
  remote: string;
  branch: string;
}

/** Where `--push` pushes: the branch's upstream, else origin (or the only remote). Exit 2 when unknown. */
export async function resolvePushTarget(top: string): Promise<PushTarget> {
  const local = (await sgRaw(top, ['symbolic-ref', '-q', '--short', 'HEAD'], { okCodes: [1] })).trim();
  if (!local) throw new UsageError('cannot --push from a detached HEAD', { hint: 'check out a branch first, or commit without --push' });
  const cfg = async (key: string): Promise<string> => (await viaSimpleGit(top, ['config', '--get', key], (g) => g.getConfig(key), { okCodes: [1] })).value?.trim() ?? '';
  const [remote, merge, remoteList] = await Promise.all([
    cfg(`branch.${local}.remote`),
    cfg(`branch.${local}.merge`),
    viaSimpleGit(top, ['remote'], (g) => g.getRemotes(false)),
  ]);
  if (remote && remote !== '.' && merge.startsWith('refs/heads/')) return { remote, branch: merge.slice('refs/heads/'.length) };
  const remotes = remoteList.map((r) => r.name);
  const chosen = remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined;
  if (!chosen) {
    throw new UsageError(remotes.length ? `cannot tell which remote to --push to (${remotes.join(', ')})` : 'cannot --push: the repository has no remote', {
      hint: `set an upstream ("git branch --set-upstream-to <remote>/${local}") or add a remote named origin`,
    });
  }
  return { remote: chosen, branch: local };
}

/**
 * How many commits HEAD has that the remote-tracking branch of `target` does not: what a push
 * would publish besides the promotion's own commit. null when there is no remote-tracking ref
 * (never fetched, or the branch does not exist on the remote yet): nothing to compare with.
 */
export async function commitsAhead(top: string, target: PushTarget): Promise<number | null> {
  const ref = `refs/remotes/${target.remote}/${target.branch}`;
  const has = (await sgRaw(top, ['rev-parse', '--verify', '--quiet', ref], { okCodes: [1] })).trim();
  if (!has) return null;
  const n = Number((await sgRaw(top, ['rev-list', '--count', `${ref}..HEAD`])).trim());
  return Number.isFinite(n) ? n : null;
}

/**
 * Is this push failure caused by someone else pushing at the same time (so fetch, rebase and
 * retry can fix it)? `[rejected]` covers non-fast-forward, "fetch first" and "stale info"; the
 * remote's own refusals count only when they are about the ref moving or being locked under us
 * ("cannot lock ref", "failed to update ref", "incorrect old value", "reference already
 * exists"), never a hook or a permission.
 */
export function isConcurrentPushRejection(stderr: string): boolean {
  return (
    /^\s*!\s*\[rejected\]|non-fast-forward|\(fetch first\)|\(stale info\)|Updates were rejected because/im.test(stderr) ||
    /\[remote rejected\].*\((?:cannot lock ref|failed to update ref|failed to lock|incorrect old value|reference already exists|[^)]*\.lock[^)]*)/i.test(stderr)
  );
}

function isRejection(e: unknown): boolean {
  return e instanceof GitError && isConcurrentPushRejection(e.stderr);
}

/** A local commit a push would publish. */
export interface PendingCommit {
  hash: string;
  subject: string;
  /** the files it changes, relative to the repo top */
  files: string[];
}

/**
 * The commits HEAD has that the remote-tracking branch of `target` does not, newest first, each
 * with the files it touches. null without a remote-tracking ref (never fetched, or the branch
 * is not on the remote yet).
 */
export async function pendingCommits(top: string, target: PushTarget): Promise<PendingCommit[] | null> {
  const ref = `refs/remotes/${target.remote}/${target.branch}`;
  const has = (await sgRaw(top, ['rev-parse', '--verify', '--quiet', ref], { okCodes: [1] })).trim();
  if (!has) return null;
  const out = await sgRaw(top, ['-c', 'core.quotePath=off', 'log', '--no-color', '--format=%x1e%H%x00%s', '--name-only', '--no-renames', `${ref}..HEAD`]);
  const commits: PendingCommit[] = [];
  for (const rec of out.split('\x1e')) {
    if (!rec.trim()) continue;
    const [head, ...rest] = rec.split('\n');
    const [hash, subject] = (head ?? '').split('\0');
    if (!hash) continue;
    commits.push({ hash, subject: subject ?? '', files: rest.map((l) => l.trim()).filter(Boolean) });
  }
  return commits;
}

export interface PushOptions {
  /** the environment file, relative to `top` */
  envRel: string;
  /** the change's commit must be signed (SPEC §15): it is signed again when a rebase rewrites it */
  sign?: boolean;
  /**
   * Re-applies the plan to the remote's environment file (its text, or null when the remote has
   * none) and returns the new text. Throws ConflictError when the plan no longer holds. Absent
   * (pushing commits made earlier, whose plan is gone): a conflict in the file is not resolved.
   */
  regenerate?: (baseText: string | null) => string;
  attempts?: number;
  onRetry?: (attempt: number, reason: string) => void;
}

async function showOrNull(top: string, spec: string): Promise<string | null> {
  try {
    return await viaSimpleGit(top, ['show', spec], (g) => g.show([spec]));
  } catch {
    return null;
  }
}

async function abortRebase(top: string): Promise<void> {
  try {
    await viaSimpleGit(top, ['rebase', '--abort'], (g) => g.rebase(['--abort']));
  } catch {
    /* not rebasing */
  }
}

const EDITOR_ENV = { GIT_EDITOR: 'true', GIT_SEQUENCE_EDITOR: 'true' };

/** Rebases the local commits onto FETCH_HEAD, resolving the env file by regeneration. */
async function rebaseOntoFetched(top: string, opts: PushOptions): Promise<void> {
  const envAbs = path.join(top, opts.envRel);
  let clean = true;
  try {
    await viaSimpleGit(top, ['rebase', 'FETCH_HEAD'], (g) => g.rebase(['--quiet', 'FETCH_HEAD']), { env: EDITOR_ENV });
  } catch (e) {
    const msg = e instanceof GitError ? e.stderr : String(e);
    if (/unstaged changes|uncommitted changes|Please commit or stash/i.test(msg)) {
      throw new ConflictError('the push was rejected and the local branch cannot be rebased: the working tree has uncommitted changes', {
        hint: 'the promotion is committed locally; commit or stash your other changes, then "git pull --rebase && git push"',
      });
    }
    clean = false;
  }
  if (!clean) {
    const conflicted = (await viaSimpleGit(top, ['diff'], (g) => g.diff(['--name-only', '--diff-filter=U']))).split('\n').filter(Boolean);
    if (conflicted.length !== 1 || conflicted[0] !== opts.envRel || !opts.regenerate) {
      await abortRebase(top);
      throw new ConflictError(`the push was rejected and rebasing onto the remote conflicts in ${conflicted.join(', ') || 'the local commits'}`, {
        hint: 'the promotion is committed locally; resolve with "git pull --rebase", then "git push"',
      });
    }
    let text: string;
    try {
      text = opts.regenerate(await showOrNull(top, `:2:${opts.envRel}`));
    } catch (e) {
      await abortRebase(top);
      throw e;
    }
    writeFileAtomic(envAbs, text);
    await sgRaw(top, ['add', '--', `:(literal)${opts.envRel}`]);
    try {
      await viaSimpleGit(top, ['rebase', '--continue'], (g) => g.rebase(['--continue']), { env: EDITOR_ENV });
    } catch {
      await abortRebase(top);
      throw new ConflictError('the push was rejected and the local commits cannot be rebased onto the remote automatically', {
        hint: 'the promotion is committed locally; resolve with "git pull --rebase", then "git push"',
      });
    }
    return;
  }
  // A clean textual rebase can still merge two YAML edits wrongly: regenerate from the remote's
  // file and amend when the result differs.
  if (!opts.regenerate) return;
  const expected = opts.regenerate(await showOrNull(top, `FETCH_HEAD:${opts.envRel}`));
  const actual = fs.existsSync(envAbs) ? fs.readFileSync(envAbs, 'utf8') : null;
  // a signed change is signed again after the rebase rewrote it (the rebase signs only with commit.gpgsign)
  if (actual !== expected || opts.sign) {
    if (actual !== expected) writeFileAtomic(envAbs, expected);
    const msg = await sgRaw(top, ['log', '-1', '--format=%B']);
    const [subject, ...rest] = msg.replace(/\n+$/, '').split('\n');
    await commitFile(top, opts.envRel, subject ?? '', rest.join('\n').trim(), { untracked: false, amend: true, sign: opts.sign });
  }
}

export async function pushWithRebase(top: string, target: PushTarget, opts: PushOptions): Promise<{ attempts: number; hash: string }> {
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      await viaSimpleGit(top, ['push'], (g) => g.push(target.remote, `HEAD:refs/heads/${target.branch}`, ['--quiet']));
      return { attempts: attempt, hash: (await viaSimpleGit(top, ['rev-parse'], (g) => g.revparse(['HEAD']))).trim() };
    } catch (e) {
      if (!isRejection(e)) {
        const why = e instanceof GitError ? e.stderr.trim().split('\n').filter(Boolean).pop() ?? e.message : String(e);
        throw new ConflictError(`push to ${target.remote}/${target.branch} failed: ${why}`, { hint: 'the promotion is committed locally; push it with "git push" once the remote is reachable' });
      }
      if (attempt >= attempts) {
        throw new ConflictError(`push to ${target.remote}/${target.branch} was rejected ${attempts} times (the remote keeps moving)`, {
          hint: 'the promotion is committed locally; run "git pull --rebase && git push" or retry later',
        });
      }
      opts.onRetry?.(attempt, 'rejected (non-fast-forward)');
    }
    await viaSimpleGit(top, ['fetch'], (g) => g.fetch(target.remote, `refs/heads/${target.branch}`, ['--quiet']));
    await rebaseOntoFetched(top, opts);
  }
}

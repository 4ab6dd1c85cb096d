/**
 * Carrying out an EnvChangePlan, the one way every env-changing command writes: under the lock,
 * re-read the file (compare-and-swap: the plan's `mutate` re-checks itself against what is
 * there now), atomic write, one git commit of that file alone, optional push (on rejection:
 * fetch, rebase, re-apply `mutate` to the remote's file, retry). A failure after the write puts
 * the old bytes back; a push whose plan no longer holds on the remote undoes the local commit.
 */
import * as path from 'node:path';
import { CheckFailed, ConflictError, InternalError, PromptrailError } from '../errors.js';
import type { EnvironmentFile } from '../core/types.js';
import { isRefusal, type EnvChangePlan } from '../core/env-change.js';
import { migrateFile, tamperCheck } from '../core/env-chain.js';
import type { RunContext } from '../context.js';
import type { Registry } from '../registry/registry.js';
import { changedSince, restoreEnv, serializeEnv, fastParseEnv, envShapeOk, removeDeadTempFiles } from '../registry/env-store.js';
import { readEnvView, type EnvView } from '../registry/env-view.js';
import { assertRealDir, MAX_ENV_FILE_BYTES, syncDirectory, writeFileAtomic } from '../registry/files.js';
import { own } from '../core/own.js';
import { acquireLock, lockTimeoutFromEnv } from '../registry/lock.js';
import { parseYaml } from '../registry/yaml.js';
import { getValidator } from '../registry/schemas.js';
import { commitFile, forgetPath } from '../git/commit.js';
import { refusalError } from './refusal.js';
import { dirtyEnvFile, type GitTarget } from './preflight.js';
import { changedPaths } from '../git/repo.js';

export interface ApplyOptions {
  registry: Registry;
  io: RunContext;
  /** the environment file as read when the plan was made (a pin view when the plan's scope is that pin) */
  snap: EnvView;
  git: GitTarget;
  /** the command line, shown to other processes waiting for the lock */
  label: string;
}

export interface ApplyResult {
  /** the environment file written (absolute) */
  file: string;
  /** the commit made (after a push: the pushed one), or null */
  commit: string | null;
  pushed: boolean;
  pushAttempts: number;
}

/** What every reader of an environment file refuses is never written: past MAX_ENV_FILE_BYTES the change is refused, with a history_limit that makes it fit. */
function assertEnvFits(text: string, rel: string, before: EnvironmentFile, next: EnvironmentFile, render: (f: EnvironmentFile) => string, historyLimit: number): void {
  const size = Buffer.byteLength(text);
  if (size <= MAX_ENV_FILE_BYTES) return;
  const fit = fittingHistoryLimit(before, next, render);
  const mib = MAX_ENV_FILE_BYTES / 1024 / 1024;
  throw new CheckFailed(`refused: ${rel} would grow to ${size} bytes, over the ${mib} MiB (${MAX_ENV_FILE_BYTES} bytes) limit of environment files; nothing was written`, {
    location: { file: rel },
    hint:
      fit.limit !== null
        ? `set history_limit: ${fit.limit} in prompts.config.yaml (now ${historyLimit}; the pin of ${fit.ids.join(', ')} then keeps its newest ${fit.limit} history entries), commit it and run the command again`
        : `the other pins' histories alone fill the file: set a lower history_limit in prompts.config.yaml (now ${historyLimit}) and promote or roll back the prompts with the longest histories first (each write trims its own pin), or remove pins no longer served`,
  });
}

/**
 * The largest history_limit under which `next` fits in MAX_ENV_FILE_BYTES (with room for the
 * next entry's own small differences), by trimming the histories this change wrote (a lower
 * history_limit trims the changed pin only); null when even one entry is too many.
 */
export function fittingHistoryLimit(before: EnvironmentFile, next: EnvironmentFile, render: (f: EnvironmentFile) => string): { limit: number | null; ids: string[] } {
  const ids = Object.keys(next.prompts).filter((id) => own(next.prompts, id)!.history !== own(before.prompts, id)?.history);
  const budget = MAX_ENV_FILE_BYTES - 64 * 1024;
  const sizeAt = (limit: number): number => {
    const prompts = { ...next.prompts };
    for (const id of ids) prompts[id] = { ...prompts[id]!, history: prompts[id]!.history.slice(0, limit) };
    return Buffer.byteLength(render({ ...next, prompts }));
  };
  const longest = Math.max(0, ...ids.map((id) => own(next.prompts, id)!.history.length));
  if (ids.length === 0 || sizeAt(1) > budget) return { limit: null, ids };
  // the size grows with the limit: the largest that fits, in O(log n) renders
  let lo = 1;
  let hi = longest;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (sizeAt(mid) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return { limit: lo, ids };
}


/**
 * Applies `plan` to `base` or throws the refusal located at `file`: a hand-edited pin the plan
 * would build on (exit 1: the pin it changes, or every pin for a whole-file plan), or a conflict
 * (exit 3). Histories written before chains are migrated first (core/env-chain.ts), so the
 * file written is chained throughout.
 */
function mutateOrThrow(plan: EnvChangePlan, base: EnvironmentFile, file: string): EnvironmentFile {
  const ids = plan.scope !== null ? [plan.scope] : Object.keys(base.prompts);
  const tampered = tamperCheck(ids.map((id) => ({ rel: file, id, pin: own(base.prompts, id) })));
  if (tampered) throw refusalError(tampered.refusals[0], file);
  const next = plan.mutate(migrateFile(base));
  if (isRefusal(next)) throw refusalError(next, file);
  return next;
}

export async function applyPlan(plan: EnvChangePlan, o: ApplyOptions): Promise<ApplyResult> {
  if (plan.pending !== null) throw new InternalError(`the ${plan.action} plan still waits for its ${plan.pending}; it cannot be applied`);
  if (o.snap.pin !== null && o.snap.pin !== plan.scope) throw new InternalError(`the ${plan.action} plan needs more of ${o.snap.rel} than the pin of ${o.snap.pin}`);
  const { registry, io, git } = o;
  if (plan.signed && !git.repo) {
    throw new CheckFailed(`refused: "${plan.env}" requires signed commits (approvals.signed in prompts.config.yaml), and this ${plan.action} would make no commit`, {
      location: { file: plan.file },
      hint: 'run it in the registry\'s git repository, without --no-commit',
    });
  }
  const lockDir = path.join(registry.stateDir, 'locks');
  // the lock and the file are reached through real folders inside the registry only
  assertRealDir(registry.root, lockDir, { create: true, what: 'keeps its locks' });
  assertRealDir(registry.root, path.dirname(o.snap.file), { what: 'writes environment files' });
  const lock = await acquireLock(lockDir, 'environments', {
    timeoutMs: lockTimeoutFromEnv(io.env),
    command: o.label,
    display: registry.rel(path.join(lockDir, 'environments.lock')),
    onWait: (h) => io.info(`waiting for the environment lock held by ${h ? `process ${h.pid}` : 'another process'}…`),
  });
  // the folder of environment files is created only once the lock is held (a refusal creates nothing)
  try {
    assertRealDir(registry.root, path.dirname(o.snap.file), { create: true, what: 'writes environment files' });
  } catch (e) {
    lock.release();
    throw e;
  }
  let dirSynced: Promise<void> | undefined;
  try {
    if (git.recheckEnv && git.repo && git.envRel) {
      const st = (await changedPaths(git.repo.top, [git.envRel])).get(git.envRel);
      if (st === 'modified' || st === 'untracked') throw dirtyEnvFile(git.envRel, st);
    }
    // compare-and-swap: what is on disk now is what we write over
    const fresh = changedSince(o.snap) ? readEnvView(registry, o.snap.env, o.snap.pin) : o.snap;
    const next = mutateOrThrow(plan, fresh.value, fresh.rel);
    const text = fresh.render(next);
    // every reader refuses an environment file past the limit: never write one (nothing is written yet)
    assertEnvFits(text, fresh.rel, fresh.value, next, fresh.render, registry.config.history_limit);
    const dir = path.dirname(fresh.file);
    removeDeadTempFiles(dir);
    writeFileAtomic(fresh.file, text, { syncDir: false });
    // the rename is made durable while git commits the file
    dirSynced = syncDirectory(dir);
    let commit: string | null = null;
    if (git.repo && git.envRel) {
      const untracked = !fresh.exists || git.envState === 'untracked';
      try {
        commit = (await commitFile(git.repo.top, git.envRel, plan.subject, plan.body, { untracked, fullHash: io.json, sign: plan.signed })).hash;
      } catch (e) {
        if (plan.signed) {
          restoreEnv(fresh);
          if (untracked) await forgetPath(git.repo.top, git.envRel);
          const why = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
          throw new CheckFailed(`refused: "${plan.env}" requires signed commits and git could not sign this one, so ${fresh.rel} was restored: ${why}`, { location: { file: fresh.rel }, hint: signingHint });
        }
        restoreEnv(fresh);
        if (untracked) await forgetPath(git.repo.top, git.envRel);
        if (e instanceof PromptrailError) throw e;
        const why = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
        throw new ConflictError(`git commit failed, so ${fresh.rel} was restored: ${why}`, { hint: 'fix the git problem (identity, hooks, index.lock) and run the command again' });
      }
    }
    if (plan.signed && commit && git.repo && git.envRel) await keepOnlyIfVerified(plan, git.repo.top, git.envRel, fresh.rel);
    let pushed = false;
    let pushAttempts = 0;
    if (git.pushTarget && git.repo && git.envRel) {
      const r = await pushChange(plan, git.repo.top, git.envRel, git, o);
      pushed = true;
      pushAttempts = r.attempts;
      commit = r.hash;
    }
    return { file: fresh.file, commit, pushed, pushAttempts };
  } catch (e) {
    if (e instanceof PromptrailError) throw e;
    throw new InternalError(`could not update the environment file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    await dirSynced;
    lock.release();
  }
}

const signingHint = 'set up signing ("git config user.signingkey <key>", for SSH also "git config gpg.format ssh" and gpg.ssh.allowedSignersFile listing your key) and run the command again';

/**
 * A signed environment's commit is kept only when `git verify-commit` accepts it (SPEC §15):
 * otherwise it is dropped, the file is as before, and the change is refused (exit 1).
 */
async function keepOnlyIfVerified(plan: EnvChangePlan, top: string, envRel: string, rel: string): Promise<void> {
  const { commitSignature } = await import('../git/audit.js');
  const sig = await commitSignature(top, 'HEAD');
  if (sig.status === 'good') return;
  const { dropOwnCommit } = await import('../git/undo.js');
  const undone = await dropOwnCommit(top, envRel, plan.subject);
  throw new CheckFailed(`refused: "${plan.env}" requires signed commits, and the commit of this ${plan.action} does not verify (git verify-commit: ${sig.detail})${undone ? `, so it was undone and ${rel} restored` : ''}`, {
    location: { file: rel },
    hint: undone ? signingHint : `drop the commit ("git reset --keep HEAD~1"); ${signingHint}`,
  });
}

async function pushChange(plan: EnvChangePlan, top: string, envRel: string, git: GitTarget, o: ApplyOptions): Promise<{ attempts: number; hash: string }> {
  const { pushWithRebase } = await import('../git/push.js');
  let planConflict = false;
  try {
    return await pushWithRebase(top, git.pushTarget!, {
      envRel,
      sign: plan.signed,
      regenerate: (baseText) => {
        const base = parseRemoteEnv(baseText, o.snap.env, envRel);
        let next: EnvironmentFile;
        try {
          next = mutateOrThrow(plan, base, envRel);
        } catch (e) {
          planConflict = true;
          throw e;
        }
        // the regenerated file is held to the same size limit (a refusal, not a conflict with the remote)
        const text = serializeEnv(next);
        assertEnvFits(text, envRel, base, next, serializeEnv, o.registry.config.history_limit);
        return text;
      },
      attempts: pushAttemptsFromEnv(o.io.env),
      onRetry: (n) => o.io.info(`push rejected (attempt ${n}); fetching and rebasing…`),
    });
  } catch (e) {
    // The remote changed this prompt's pin: the local commit can never be pushed as it is.
    // Keeping it would make a re-run report "already pinned; nothing to do" while the remote
    // pins something else, so undo it (it is ours, unpushed, and touches only the env file).
    if (planConflict && e instanceof CheckFailed) {
      // the remote's pin was edited by hand: nothing can be built on it
      const { dropOwnCommit } = await import('../git/undo.js');
      const undone = await dropOwnCommit(top, envRel, plan.subject);
      throw new CheckFailed(`the remote's ${e.message.replace(/^refused: /, '')}`, { location: e.location, hint: `nothing was pushed${undone ? ' and the local commit was undone' : ''}; ${e.hint ?? ''}` });
    }
    if (planConflict && e instanceof ConflictError) {
      const { dropOwnCommit } = await import('../git/undo.js');
      const undone = await dropOwnCommit(top, envRel, plan.subject);
      throw new ConflictError(e.message, {
        location: e.location,
        hint: undone
          ? 'nothing was pushed and the local commit was undone; update your branch ("git pull --rebase") and run the command again to plan against the current file'
          : `nothing was pushed; the local commit "${plan.subject}" conflicts with the remote: drop it ("git reset --keep HEAD~1"), update ("git pull --rebase") and run the command again`,
      });
    }
    throw e;
  }
}

/** The remote's environment file (null: it has none), read strictly: the change is re-applied onto it. */
function parseRemoteEnv(text: string | null, env: string, rel: string): EnvironmentFile {
  if (text === null) return { environment: env, prompts: {} };
  const fast = fastParseEnv(text);
  if (fast && envShapeOk(fast)) return fast;
  const invalid = (): ConflictError => new ConflictError(`the remote's ${rel} is not a valid environment file; cannot re-apply the change onto it`, { hint: 'fix it on the remote branch, then push again' });
  // a hand-edited (or older) layout: the full YAML parser and the schema decide
  const parsed = parseYaml(text);
  if (parsed.issues.length || !getValidator('environment')(parsed.value)) throw invalid();
  return parsed.value as EnvironmentFile;
}

/** PROMPTRAIL_PUSH_ATTEMPTS bounds the push retries (default 5). */
export function pushAttemptsFromEnv(env: NodeJS.ProcessEnv): number {
  const n = Number(env.PROMPTRAIL_PUSH_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : 5;
}

export interface PendingPushResult {
  /** the commits published, newest first */
  pushed: { hash: string; subject: string }[];
  /** "origin/main" */
  target: string;
  attempts: number;
}

/**
 * `--push` when there is nothing new to write: the change may have been committed by an earlier
 * run whose push failed or was killed. Publishes promptrail's own environment commits that are
 * not on the remote yet, when one of them touches this environment file (`git` is the preflight
 * of this command with commit and push on: it refused any other unpushed commit). On a
 * rejection: fetch, rebase, retry (bounded); a conflict in the file is exit 3. null when there is
 * nothing pending.
 */
export async function pushPending(io: RunContext, git: GitTarget): Promise<PendingPushResult | null> {
  const mine = git.pending?.filter((c) => c.files.includes(git.envRel ?? '')) ?? [];
  if (!git.repo || !git.pushTarget || !git.envRel || mine.length === 0) return null;
  const { pushWithRebase } = await import('../git/push.js');
  const r = await pushWithRebase(git.repo.top, git.pushTarget, {
    envRel: git.envRel,
    attempts: pushAttemptsFromEnv(io.env),
    onRetry: (n) => io.info(`push rejected (attempt ${n}); fetching and rebasing…`),
  });
  return { pushed: (git.pending ?? []).map((c) => ({ hash: c.hash, subject: c.subject })), target: `${git.pushTarget.remote}/${git.pushTarget.branch}`, attempts: r.attempts };
}

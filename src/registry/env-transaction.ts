/**
 * Applying a promote/rollback plan to an environment file, the one way both commands write:
 * every check first (git state of the pinned file, push target), then under the lock: re-read
 * the file (compare-and-swap: re-check the plan against what is there now), atomic write, one
 * git commit of that file alone, optional push. A failure after the write puts the old bytes back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConflictError, InternalError, PromptrailError } from '../errors.js';
import type { EnvironmentFile } from '../core/types.js';
import type { CommandContext } from '../cli/ui.js';
import type { Registry } from './registry.js';
import { readEnvSnapshot, changedSince, writeEnv, restoreEnv, serializeEnv, type EnvSnapshot } from './env-store.js';
import { acquireLock, lockTimeoutFromEnv } from './lock.js';
import { parseYaml } from './yaml.js';
import { getValidator } from './schemas.js';
import { repoInfo, pathStates, authorIdent, type RepoInfo, type PathState } from '../git/repo.js';
import { commitFile } from '../git/commit.js';
import { resolvePushTarget, pushWithRebase, commitsAhead, type PushTarget } from '../git/push.js';
import { git } from '../git/run.js';

export interface GitContext {
  /** null: not a git work tree (or --no-commit without --push): no commit is made */
  repo: RepoInfo | null;
  /** paths relative to the repo top */
  envRel: string | null;
  versionRel: string | null;
  envState: PathState | null;
  pushTarget: PushTarget | null;
  /** who is recorded in the pin and history */
  by: string;
  /** the registry root with symlinks resolved (git reports real paths) */
}

/**
 * Everything git-related that must be known before the first write. Throws ConflictError
 * (exit 3) when the version file has uncommitted changes or is untracked.
 */
export interface GitProbe {
  repo: RepoInfo | null;
  by: string;
}

/**
 * Starts the git calls that do not depend on the plan (work tree, author) so the processes run
 * while the command parses files; `prepareGit` awaits the result.
 */
export function probeGit(root: string, env: NodeJS.ProcessEnv): Promise<GitProbe> {
  return Promise.all([repoInfo(root), authorIdent(root, env)]).then(([repo, by]) => ({ repo, by }));
}

export async function prepareGit(
  registry: Registry,
  opts: { envFile: string; versionFile: string | null; commit: boolean; push: boolean; ctx: CommandContext; probe?: Promise<GitProbe> },
): Promise<GitContext> {
  const { ctx } = opts;
  const probe = await (opts.probe ?? probeGit(registry.root, ctx.env));
  const repo = opts.commit ? probe.repo : null;
  if (!repo) {
    const by = probe.repo ? probe.by : await authorIdent(null, ctx.env);
    if (opts.commit) ctx.info(`note: ${registry.root} is not in a git repository; the environment file is written without a commit`);
    return { repo: null, envRel: null, versionRel: null, envState: null, pushTarget: null, by };
  }
  const realRoot = fs.realpathSync(registry.root);
  const relTop = (f: string): string => path.relative(repo.top, path.join(realRoot, path.relative(registry.root, f))).split(path.sep).join('/');
  const envRel = relTop(opts.envFile);
  const versionRel = opts.versionFile ? relTop(opts.versionFile) : null;
  const by = probe.by;
  const [states, pushTarget] = await Promise.all([
    pathStates(repo.top, versionRel ? [envRel, versionRel] : [envRel]),
    opts.push ? resolvePushTarget(repo.top) : Promise.resolve(null),
  ]);
  if (versionRel) {
    const st = states.get(versionRel) ?? 'clean';
    if (st !== 'clean') {
      const what = st === 'modified' ? 'has uncommitted changes' : st === 'ignored' ? 'is ignored by git (never committed)' : 'is untracked (never committed)';
      throw new ConflictError(`refusing to pin ${versionRel}: it ${what}; the promoted bytes must be the reviewed, committed bytes`, {
        location: { file: registry.rel(opts.versionFile!) },
        hint: `commit it first ("git add ${versionRel} && git commit"), or pass --no-commit to skip git entirely`,
      });
    }
  }
  if (pushTarget) {
    // --push publishes HEAD: local commits that are not on the remote yet would go out with the
    // promotion's one-file commit, unreviewed. Refuse before writing anything.
    const ahead = await commitsAhead(repo.top, pushTarget);
    if (ahead !== null && ahead > 0) {
      const up = `${pushTarget.remote}/${pushTarget.branch}`;
      throw new ConflictError(`refusing to --push: the branch has ${ahead} local commit${ahead === 1 ? '' : 's'} not on ${up}, which the push would publish along with this change`, {
        hint: `push or drop ${ahead === 1 ? 'it' : 'them'} first ("git log ${up}..HEAD" lists ${ahead === 1 ? 'it' : 'them'}), or run without --push and push yourself`,
      });
    }
  }
  const envState = states.get(envRel) ?? 'clean';
  if (envState === 'modified' || envState === 'untracked') ctx.warn(`warning: ${envRel} has uncommitted changes; they will be part of this commit`);
  return { repo, envRel, versionRel, envState, pushTarget, by };
}

export interface ApplyOptions<P> {
  registry: Registry;
  ctx: CommandContext;
  snap: EnvSnapshot;
  plan: P;
  gitc: GitContext;
  /** re-checks the plan against the file as it is now (under the lock); a string = conflict */
  recheck: (plan: P, fresh: EnvironmentFile) => P | { conflict: string };
  apply: (fresh: EnvironmentFile, plan: P) => EnvironmentFile;
  subject: (plan: P) => string;
  body: string;
  commandLabel: string;
}

export interface ApplyResult<P> {
  plan: P;
  file: string;
  commit: string | null;
  pushed: boolean;
  pushAttempts: number;
}

function planOrConflict<P>(r: P | { conflict: string }, rel: string): P {
  if (r && typeof r === 'object' && 'conflict' in (r as object)) {
    throw new ConflictError((r as { conflict: string }).conflict, { location: { file: rel }, hint: 'run the command again to plan against the current file' });
  }
  return r as P;
}

function parseEnvText(text: string | null, env: string, rel: string): EnvironmentFile {
  if (text === null) return { environment: env, prompts: {} };
  const parsed = parseYaml(text);
  const validate = getValidator('environment');
  if (parsed.issues.length || !validate(parsed.value)) {
    throw new ConflictError(`the remote's ${rel} is not a valid environment file; cannot re-apply the change onto it`, { hint: 'fix it on the remote branch, then push again' });
  }
  return parsed.value as EnvironmentFile;
}

export async function applyChange<P>(o: ApplyOptions<P>): Promise<ApplyResult<P>> {
  const { registry, ctx, gitc } = o;
  const lock = await acquireLock(path.join(registry.stateDir, 'locks'), 'environments', {
    timeoutMs: lockTimeoutFromEnv(ctx.env),
    command: o.commandLabel,
    display: registry.rel(path.join(registry.stateDir, 'locks', 'environments.lock')),
    onWait: (h) => ctx.info(`waiting for the environment lock held by ${h ? `process ${h.pid}` : 'another process'}…`),
  });
  try {
    // compare-and-swap: what is on disk now is what we write over
    const fresh = changedSince(o.snap) ? readEnvSnapshot(registry, o.snap.env) : o.snap;
    const plan = fresh === o.snap ? o.plan : planOrConflict(o.recheck(o.plan, fresh.value), fresh.rel);
    const next = o.apply(fresh.value, plan);
    writeEnv(fresh.file, next);
    let commit: string | null = null;
    if (gitc.repo && gitc.envRel) {
      const untracked = !fresh.exists || gitc.envState === 'untracked';
      try {
        commit = (await commitFile(gitc.repo.top, gitc.envRel, o.subject(plan), o.body, { untracked, fullHash: ctx.json })).hash;
      } catch (e) {
        restoreEnv(fresh);
        if (untracked) {
          try {
            await git(gitc.repo.top, ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', `:(literal)${gitc.envRel}`]);
          } catch {
            /* best effort */
          }
        }
        const why = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
        if (e instanceof PromptrailError) throw e;
        throw new ConflictError(`git commit failed, so ${fresh.rel} was restored: ${why}`, { hint: 'fix the git problem (identity, hooks, index.lock) and run the command again' });
      }
    }
    let pushed = false;
    let pushAttempts = 0;
    if (gitc.pushTarget && gitc.repo && gitc.envRel) {
      let planConflict = false;
      let r;
      try {
        r = await pushWithRebase(gitc.repo.top, gitc.pushTarget, {
          envRel: gitc.envRel,
          regenerate: (baseText) => {
            const base = parseEnvText(baseText, o.snap.env, gitc.envRel!);
            const checked = o.recheck(plan, base);
            if (checked && typeof checked === 'object' && 'conflict' in (checked as object)) planConflict = true;
            const p = planOrConflict(checked, gitc.envRel!);
            return serializeEnv(o.apply(base, p));
          },
          attempts: pushAttemptsFromEnv(ctx.env),
          onRetry: (n) => ctx.info(`push rejected (attempt ${n}); fetching and rebasing…`),
        });
      } catch (e) {
        // The remote changed this prompt's pin: the local commit can never be pushed as it is.
        // Keeping it would make a re-run report "already pinned; nothing to do" while the remote
        // pins something else, so undo it (it is ours, unpushed, and touches only the env file).
        if (planConflict && e instanceof ConflictError) throw await undoLocalCommit(gitc.repo.top, gitc.envRel, o.subject(plan), e);
        throw e;
      }
      pushed = true;
      pushAttempts = r.attempts;
      commit = r.hash;
    }
    return { plan, file: fresh.file, commit, pushed, pushAttempts };
  } catch (e) {
    if (e instanceof PromptrailError) throw e;
    throw new InternalError(`could not update the environment file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    lock.release();
  }
}

/**
 * After a push whose plan no longer holds on the remote: drops the command's own commit (HEAD,
 * when it is still that one-file commit) so the local branch and env file are as before the
 * command, and returns the conflict with a hint that says so. Anything unexpected: keeps it.
 */
async function undoLocalCommit(top: string, envRel: string, subject: string, e: ConflictError): Promise<ConflictError> {
  const keep = (): ConflictError =>
    new ConflictError(e.message, {
      location: e.location,
      hint: `nothing was pushed; the local commit "${subject}" conflicts with the remote: drop it ("git reset --keep HEAD~1"), update ("git pull --rebase") and run the command again`,
    });
  try {
    const [head, files] = await Promise.all([git(top, ['log', '-1', '--format=%s']), git(top, ['diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD'])]);
    const touched = files.split('\n').filter(Boolean);
    if (head.trim() !== subject || touched.length !== 1 || touched[0] !== envRel) return keep();
    // --soft + restoring that one path: whatever else the user has staged stays staged
    await git(top, ['reset', '--quiet', '--soft', 'HEAD~1']);
    const spec = `:(literal)${envRel}`;
    const existed = (await git(top, ['ls-tree', '--name-only', 'HEAD', '--', spec])).trim() !== '';
    if (existed) await git(top, ['checkout', 'HEAD', '--', spec]);
    else {
      await git(top, ['rm', '--cached', '--quiet', '--', spec]);
      fs.rmSync(path.join(top, envRel), { force: true });
    }
  } catch {
    return keep();
  }
  return new ConflictError(e.message, {
    location: e.location,
    hint: 'nothing was pushed and the local commit was undone; update your branch ("git pull --rebase") and run the command again to plan against the current file',
  });
}

/** PROMPTRAIL_PUSH_ATTEMPTS bounds the push retries (default 5). */
export function pushAttemptsFromEnv(env: NodeJS.ProcessEnv): number {
  const n = Number(env.PROMPTRAIL_PUSH_ATTEMPTS);
  return Number.isInteger(n) && n >= 1 ? n : 5;
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

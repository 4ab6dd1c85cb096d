/**
 * simple-git, the engine under `git/` for the history and network side of the env-changing
 * commands (log, push, fetch, rebase, undo) and for `build`. Loaded on first use only (a dynamic
 * import): `validate --staged` and the hot calls of `promote` (run.ts, one spawn each) never pay
 * for it. Every instance is made for one repo dir and one call, with:
 *
 * - the user's environment passed through as it is (plus GIT_TERMINAL_PROMPT=0 and LC_ALL=C, as
 *   run.ts does). simple-git strips or refuses guarded variables (GIT_*, EDITOR, PAGER, …) unless
 *   told otherwise; those guards protect apps that pass untrusted input to git. Here the
 *   arguments are fixed by us and the environment is the user's own, the one their own `git`
 *   sees (GIT_SSH_COMMAND for a deploy key, GIT_AUTHOR_* in CI), so it is allowed through. The
 *   argument guards (upload-pack, protocol overrides, config paths given as arguments) stay on.
 * - errors as our GitError (exit code and stderr kept), so callers handle both engines alike.
 */
import type { SimpleGit, SimpleGitOptions } from 'simple-git';
import { GitError } from './run.js';

type SimpleGitModule = typeof import('simple-git');
let loaded: Promise<SimpleGitModule> | undefined;

/** The simple-git module, imported once. */
export function simpleGitModule(): Promise<SimpleGitModule> {
  loaded ??= import('simple-git');
  return loaded;
}

export interface EngineOptions {
  /** extra environment for this call (GIT_EDITOR for a rebase, …) */
  env?: NodeJS.ProcessEnv;
  /** exit codes that are not errors (e.g. 1 for `config --get` of an unset key) */
  okCodes?: number[];
}

/** simple-git's categories for variables of the environment (not of arguments). */
const ENV_CATEGORIES = {
  allowUnsafeEditor: true,
  allowUnsafeAskPass: true,
  allowUnsafePager: true,
  allowUnsafeSshCommand: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeExec: true,
  allowUnsafeDiffExternal: true,
  allowUnsafeGitProxy: true,
  allowUnsafeTemplateDir: true,
} as const;

/** A simple-git instance for `dir` whose failures are GitErrors. */
export async function simpleGitAt(dir: string, opts: EngineOptions = {}): Promise<SimpleGit> {
  const { simpleGit, GitError: SgError } = await simpleGitModule();
  const env: NodeJS.ProcessEnv = { ...process.env, ...(opts.env ?? {}), GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  const ok = opts.okCodes ?? [];
  const options: Partial<SimpleGitOptions> = {
    baseDir: dir,
    binary: 'git',
    maxConcurrentProcesses: 4,
    trimmed: false,
    allowEnvironment: Object.keys(env),
    unsafe: ENV_CATEGORIES,
    errors(_error, result) {
      if (result.exitCode === 0 || ok.includes(result.exitCode)) return undefined;
      const stderr = Buffer.concat(result.stdErr).toString('utf8');
      const stdout = Buffer.concat(result.stdOut).toString('utf8');
      // a simple-git GitError passes through its task runner unchanged; ours is made from it below
      return Object.assign(new SgError(undefined, stderr || stdout), { exitCode: result.exitCode, stderr, stdout });
    },
  };
  return simpleGit(options).env(env);
}

/** Runs one simple-git task; a failure becomes our GitError (message, args, exit code, stderr). */
export async function viaSimpleGit<T>(dir: string, args: string[], task: (g: SimpleGit) => Promise<T>, opts: EngineOptions = {}): Promise<T> {
  const g = await simpleGitAt(dir, opts);
  try {
    return await task(g);
  } catch (e) {
    throw toGitError(e, args);
  }
}

/** `git <args>` through simple-git, stdout as text. */
export function sgRaw(dir: string, args: string[], opts: EngineOptions = {}): Promise<string> {
  return viaSimpleGit(dir, args, (g) => g.raw(args), opts);
}

function toGitError(e: unknown, args: string[]): GitError {
  if (e instanceof GitError) return e;
  const x = e as { message?: string; exitCode?: number; stderr?: string; stdout?: string; code?: string };
  if (x?.code === 'ENOENT' || /spawn git ENOENT/.test(x?.message ?? '')) return new GitError('git is not installed or not on PATH', args, null, '');
  const stderr = x?.stderr ?? x?.message ?? String(e);
  const output = `${x?.stdout ?? ''}${x?.stdout && stderr ? '\n' : ''}${stderr}`;
  const last = stderr.trim().split('\n').filter(Boolean).pop() ?? '';
  return new GitError(`git ${args[0] ?? ''} failed: ${last}`, args, typeof x?.exitCode === 'number' ? x.exitCode : null, output);
}

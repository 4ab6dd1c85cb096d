/**
 * What git tracks under a folder (`git ls-files`), for registry/state.ts: state a pull request
 * committed is never trusted. One process per question; paths relative to `cwd`.
 */
import { execFile, spawnSync } from 'node:child_process';

const args = (pathspec: string): string[] => ['-c', 'core.quotePath=off', 'ls-files', '-z', '--cached', '--', `:(literal)${pathspec}`];
const env = (): NodeJS.ProcessEnv => ({ ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' });

function parse(out: string): Set<string> {
  const set = new Set<string>();
  for (const p of out.split('\0')) if (p) set.add(p);
  return set;
}

/** The tracked paths under `pathspec` (relative to `cwd`); empty outside git or when git fails. */
export function trackedPaths(cwd: string, pathspec: string): Promise<Set<string>> {
  return new Promise((resolve) => {
    execFile('git', args(pathspec), { cwd, maxBuffer: 64 * 1024 * 1024, env: env() }, (err, stdout) => resolve(err ? new Set() : parse(String(stdout))));
  });
}

/** trackedPaths, blocking (for synchronous readers that could not ask earlier). */
export function trackedPathsSync(cwd: string, pathspec: string): Set<string> {
  const r = spawnSync('git', args(pathspec), { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: env() });
  return r.status === 0 ? parse(r.stdout) : new Set();
}

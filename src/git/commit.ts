/**
 * One commit of one file, leaving everything else the user has staged staged and uncommitted:
 * `git commit --only -- <path>` builds the commit from HEAD plus that path alone.
 */
import { git } from './run.js';
import { isIndexLockError } from './repo.js';
import { sgRaw } from './engine.js';

export interface CommitResult {
  /** hash of the new commit: full when `fullHash` was asked for, else git's abbreviation */
  hash: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function retryOnIndexLock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt >= 20 || !isIndexLockError(e)) throw e;
      await sleep(50 + attempt * 25);
    }
  }
}

/**
 * Commits `file` (relative to `top`) alone with `subject` and `body`. `untracked` files are
 * added first (a pathspec commit only takes paths git already knows).
 */
export async function commitFile(top: string, file: string, subject: string, body: string, opts: { untracked: boolean; amend?: boolean; fullHash?: boolean; sign?: boolean }): Promise<CommitResult> {
  const spec = `:(literal)${file}`;
  if (opts.untracked) await retryOnIndexLock(() => git(top, ['add', '--', spec]));
  // not --quiet: the summary line "[branch abc1234] subject" gives the hash without another process
  const args = ['-c', 'core.abbrev=12', 'commit', '--only', '--no-edit', '--no-status', '-m', subject];
  if (body) args.push('-m', body);
  if (opts.amend) args.push('--amend');
  // signed: with the user's signing setup (user.signingkey, gpg.format); verified by the caller
  if (opts.sign) args.push('-S');
  args.push('--', spec);
  const out = await retryOnIndexLock(() => git(top, args, { env: { GIT_EDITOR: 'true' } }));
  const m = /^\[[^\]]*?([0-9a-f]{7,64})\]/m.exec(out);
  if (m && !opts.fullHash) return { hash: m[1]! };
  return { hash: (await git(top, ['rev-parse', 'HEAD'])).trim() };
}

/**
 * Takes `file` (relative to `top`) out of the index again, keeping the file: the undo of the
 * `git add` commitFile made for an untracked file whose commit then failed. Best effort.
 */
export async function forgetPath(top: string, file: string): Promise<void> {
  try {
    await sgRaw(top, ['rm', '--cached', '--quiet', '--ignore-unmatch', '--', `:(literal)${file}`]);
  } catch {
    /* best effort: the caller already reports the commit's failure */
  }
}

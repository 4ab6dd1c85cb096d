/**
 * One commit of one file, leaving everything else the user has staged staged and uncommitted:
 * `git commit --only -- <path>` builds the commit from HEAD plus that path alone.
 */
import { git } from './run.js';
import { isIndexLockError } from './repo.js';

export interface CommitResult {
  /** full hash of the new commit */
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
export async function commitFile(top: string, file: string, subject: string, body: string, opts: { untracked: boolean; amend?: boolean }): Promise<CommitResult> {
  const spec = `:(literal)${file}`;
  if (opts.untracked) await retryOnIndexLock(() => git(top, ['add', '--', spec]));
  const args = ['commit', '--quiet', '--only', '--no-edit', '-m', subject];
  if (body) args.push('-m', body);
  if (opts.amend) args.push('--amend');
  args.push('--', spec);
  await retryOnIndexLock(() => git(top, args, { env: { GIT_EDITOR: 'true' } }));
  const hash = (await git(top, ['rev-parse', 'HEAD'])).trim();
  return { hash };
}

/** Reading one file as it is at a revision (`git show <commit>:./<path>`), for trusted config. */
import { gitBuffer } from './run.js';
import { resolveCommit } from './staged.js';

/**
 * The bytes of `rel` (relative to `dir`, "/" separators) at commit `commit`, or null when that
 * revision has no such file. `dir` is inside the work tree; the path is taken relative to it.
 */
export async function readFileAtRev(dir: string, commit: string, rel: string): Promise<Buffer | null> {
  try {
    return await gitBuffer(dir, ['show', '--no-textconv', `${commit}:./${rel}`]);
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr ?? '';
    if (/does not exist in|exists on disk, but not in|path '.*' does not exist/i.test(stderr)) return null;
    throw e;
  }
}

export { resolveCommit };

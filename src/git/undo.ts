/**
 * Undoing promptrail's own last commit (via simple-git): after a `--push` whose plan no longer
 * holds on the remote, the local one-file commit can never be pushed as it is, and keeping it
 * would make a re-run report "already pinned" while the remote pins something else.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { viaSimpleGit } from './engine.js';

/**
 * Drops HEAD when it is still the command's commit (subject `subject`, touching `envRel` alone):
 * the branch and the env file are then as before the command, and whatever else the user has
 * staged stays staged. Returns false when HEAD is anything else (nothing is changed then) or a
 * git step fails.
 */
export async function dropOwnCommit(top: string, envRel: string, subject: string): Promise<boolean> {
  const spec = `:(literal)${envRel}`;
  try {
    return await viaSimpleGit(top, ['reset', '--soft', 'HEAD~1'], async (g) => {
      const [head, files] = await Promise.all([g.raw(['log', '-1', '--format=%s']), g.raw(['diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD'])]);
      const touched = files.split('\n').filter(Boolean);
      if (head.trim() !== subject || touched.length !== 1 || touched[0] !== envRel) return false;
      // --soft + restoring that one path: whatever else the user has staged stays staged
      await g.reset(['--quiet', '--soft', 'HEAD~1']);
      const existed = (await g.raw(['ls-tree', '--name-only', 'HEAD', '--', spec])).trim() !== '';
      if (existed) await g.checkout(['HEAD', '--', spec]);
      else {
        await g.raw(['rm', '--cached', '--quiet', '--', spec]);
        fs.rmSync(path.join(top, envRel), { force: true });
      }
      return true;
    });
  } catch {
    return false;
  }
}

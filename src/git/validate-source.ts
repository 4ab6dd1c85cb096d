/**
 * The git question `prompts validate` asks beyond reading the index (staged.ts) and comparing
 * with a base revision (worktree.ts): is the registry inside a work tree (--staged and --base need one).
 */
import { git } from './run.js';

/** Is `dir` inside a git work tree? (false outside a repository, in a bare one, or without git) */
export function insideWorkTree(dir: string): Promise<boolean> {
  return git(dir, ['rev-parse', '--is-inside-work-tree']).then(
    (o) => o.trim() === 'true',
    () => false,
  );
}

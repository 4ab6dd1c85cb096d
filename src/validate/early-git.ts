/**
 * The first git questions of a `validate --staged` run (is this a work tree, what is staged),
 * asked by the CLI before the engine's modules load: in a pre-commit hook the git processes
 * then run while the rest of validate loads. The source phase takes the answers (once).
 */
import { insideWorkTree } from '../git/validate-source.js';
import { stagedChanges, type StagedChange } from '../git/staged.js';

interface Early {
  inside: Promise<boolean>;
  changes: Promise<StagedChange[]>;
}

const asked = new Map<string, Early>();

export function askStagedEarly(root: string): void {
  const changes = stagedChanges(root);
  // outside a repository this fails too: the source phase reports the usage error instead
  changes.catch(() => undefined);
  asked.set(root, { inside: insideWorkTree(root), changes });
}

/** The answers asked for this registry, if any (each is given out once). */
export function takeEarly(root: string): Early | undefined {
  const e = asked.get(root);
  asked.delete(root);
  return e;
}

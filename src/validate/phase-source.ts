/**
 * Phase 1, the source: where the bytes come from (the working tree, or the git index with
 * --staged), the preconditions of --staged and --base (a work tree, a commit), and the registry
 * listing. A whole-registry run on the working tree ends here when nothing its last result
 * depended on changed (the run memo, see run-memo.ts).
 */
import { UsageError } from '../errors.js';
import { CONFIG_FILE, leavesRegistry } from '../paths.js';
import type { StagedChange } from '../git/staged.js';
import type { ValidateResult } from './problem.js';
import { runDigest } from './digest.js';
import { listingKey, loadRunMemo, treeKey, treeUnchanged, type RunMemo } from './run-memo.js';
import type { Fingerprint } from './cache.js';
import { DEFAULT_DIRS, Run, type EngineOptions } from './run.js';
import { worktreeSource } from './source.js';
import { indexSource, stagedListing } from './source-index.js';
import { trackedState } from '../registry/state.js';

export interface Opened {
  run: Run;
  /** --staged: what is staged */
  changes: StagedChange[];
  /** --base: the commit it names */
  baseCommit: string | null;
  /** the memo of the last whole run (null: none usable) */
  memo: RunMemo | null;
  /** whether this run may record a memo: a whole-registry run on the working tree, with the cache */
  memoEligible: boolean;
}

/** `whileGitRuns` is called once git is listing the index (it may load modules meanwhile; earlier it would delay that listing). */
export async function openSource(opts: EngineOptions, whileGitRuns: () => void = () => undefined): Promise<Opened | { result: ValidateResult }> {
  const { root } = opts;
  // what git tracks under .prompts/ (state committed there is never trusted, and reported):
  // one `git ls-files` that runs while the rest loads (none without .prompts/ or outside git)
  const trackedP = trackedState(root);
  // the git questions go first, at once: "inside a work tree?" and the staged changes; their
  // processes run while the rest loads (the usage error wins over git's own failure)
  let insideP: Promise<boolean> | undefined;
  let changesP: Promise<StagedChange[]> | undefined;
  const early = opts.staged ? (await import('./early-git.js')).takeEarly(root) : undefined;
  if (early) {
    insideP = early.inside;
    changesP = early.changes;
  } else if (opts.staged || opts.base !== undefined) {
    const [git, staged] = await Promise.all([import('../git/validate-source.js'), opts.staged ? import('../git/staged.js') : undefined]);
    insideP = git.insideWorkTree(root);
    if (staged) {
      changesP = staged.stagedChanges(root);
      changesP.catch(() => undefined);
    }
  }
  const needGit = async (): Promise<void> => {
    if (!insideP || (await insideP)) return;
    throw new UsageError(`${opts.staged ? '--staged' : '--base'} needs a git repository, but ${root} is not inside one`, {
      hint: 'run "git init", or validate the working tree without it',
    });
  };
  if (!opts.staged || opts.base !== undefined) await needGit();
  let baseCommit: string | null = null;
  if (opts.base !== undefined) {
    const { resolveCommit } = await import('../git/staged.js');
    baseCommit = await resolveCommit(root, opts.base);
    if (!baseCommit) throw new UsageError(`unknown revision "${opts.base}" for --base`, { hint: 'pass a commit, branch or tag that exists here (e.g. origin/main); in CI fetch enough history' });
  }

  const idx = opts.staged ? await indexSource(root) : undefined;
  const run = new Run(opts, idx ?? worktreeSource(root), idx);
  run.state = { root, tracked: await trackedP };
  const memoEligible = !idx && opts.cache && opts.base === undefined && opts.paths.length === 0;
  let memo: RunMemo | null = null;
  let changes: StagedChange[] = [];
  if (idx) {
    // the config, environment files and staged files are read with one `git cat-file` once the
    // listing is known (assuming the default folders)
    await needGit();
    changes = await changesP!;
    const specs = opts.paths.length === 0 && opts.base === undefined && opts.indexListing !== 'full' ? stagedListing(changes) : null;
    if (specs) {
      const listed = idx.listSpecs(specs);
      whileGitRuns();
      run.listing = (await listed).filter((e) => e.rel === CONFIG_FILE || e.rel.startsWith('prompts/') || e.rel.startsWith('environments/'));
      run.partial = true;
    } else whileGitRuns();
    // a staged symbolic link may point anywhere in the index: list all of it
    if (!specs || run.listing.some((e) => idx.isLink(e.rel))) await run.relist(DEFAULT_DIRS);
    const guess = run.listing.filter((e) => e.type === 'file' && (e.rel.startsWith('environments/') || changes.some((c) => c.path === e.rel))).map((e) => e.rel);
    await run.src.read([CONFIG_FILE, ...guess]);
  } else if (memoEligible) {
    // a whole-registry run: the last one's result stands when nothing it depended on changed
    const configBytes = (await run.src.read([CONFIG_FILE])).get(CONFIG_FILE)!.bytes;
    // (an unreadable config: its problem is not in the digest, so no memo)
    memo = configBytes ? loadRunMemo(run.stateDir, runDigest(opts.toolVersion, configBytes), run.state) : null;
    if (memo && memo.dirs.some(leavesRegistry)) memo = null;
    // the kept listing stands when no folder of it changed; else the folders are walked again
    const stat = (rel: string): Fingerprint | undefined => run.src.stat!(rel);
    const kept = memo?.tree !== undefined && run.src.dirPrint !== undefined && treeUnchanged(memo.tree, run.src.dirPrint);
    if (!kept) await run.relist(memo?.dirs ?? DEFAULT_DIRS);
    if (memo && (kept ? treeKey(memo.tree!, stat) : listingKey(run.listing, stat)) === memo.key) {
      run.debug(() => `validate: 0 read, 0 checked (no file, path or config changed since the last whole run: its result stands; listing ${kept ? 'kept: no folder changed' : 'walked'})`);
      return { result: memo.result };
    }
    // not answered: the run goes on with a listing walked afresh
    if (kept || run.listedDirs[0] !== DEFAULT_DIRS[0] || run.listedDirs[1] !== DEFAULT_DIRS[1]) await run.relist(DEFAULT_DIRS);
  } else {
    await run.relist(DEFAULT_DIRS);
  }
  return { run, changes, baseCommit, memo, memoEligible };
}

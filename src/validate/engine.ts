/**
 * The validate engine: one run in named phases, each in its own module.
 *
 *   1. source     (phase-source.ts)  the working tree or the git index; --staged/--base
 *                                    preconditions; the listing; the whole-run memo
 *   2. config     (phase-config.ts)  folders, providers, environments; the cache digest
 *   3. selection  (phase-select.ts)  what is checked and reported; the structure
 *   4. files      (phase-files.ts)   the per-file checks (cached, worker threads when large)
 *   5. cross-file (phase-resolve.ts, partials and extends resolved; pins exist and match
 *                  phase-pins.ts,    their sha256 and their deps'; suite case vars against
 *                  phase-suites.ts)  the inputs of the versions they apply to
 *   6. base       (base.ts,          with --base: immutability and semver bumps; environment
 *                  base-env.ts)      history only appended to, by promotions that could happen
 *
 * Never throws for bad registry content; throws UsageError (exit 2) for bad invocations
 * (unknown rev, --staged outside git, missing paths).
 */
import { CONFIG_FILE, STATE_DIR } from '../paths.js';
import type { ValidateResult } from './problem.js';
import { openSource } from './phase-source.js';
import { loadChecks } from './load-checks.js';
import type { EngineOptions } from './run.js';
import type { Fingerprint } from './cache.js';

export type { EngineOptions } from './run.js';

export async function runValidate(opts: EngineOptions): Promise<ValidateResult> {
  // 1. source (--staged: whatever is staged is checked, new content is never cached, so the
  // checks load while git runs)
  const opened = await openSource(opts, () => {
    if (opts.staged) void loadChecks().catch(() => undefined);
  });
  if ('result' in opened) return opened.result;
  const { run, changes, baseCommit, memo, memoEligible } = opened;
  // (a run answered by the memo never loads the other phases)
  const [{ readConfig }, { select }, { checkFiles }, { checkPins, checkReleased, reportedFiles, stateTracked }, { checkSuiteVars }, { checkResolution }, { resultOf }, { listingKey, saveRunMemo, treeOf }, { trustworthy }] = await Promise.all([
    import('./phase-config.js'),
    import('./phase-select.js'),
    import('./phase-files.js'),
    import('./phase-pins.js'),
    import('./phase-suites.js'),
    import('./phase-resolve.js'),
    import('./problem.js'),
    import('./run-memo.js'),
    import('./cache.js'),
  ]);

  // 2. config
  const cfg = await readConfig(run);
  if (!cfg.dirsUsable) return resultOf(run.problems, [CONFIG_FILE], true, cfg.promptsDir);

  // 3. selection
  const sel = await select(run, changes, cfg);

  // 4. per-file checks
  const checked = await checkFiles(run, cfg, sel);

  // 5. cross-file checks
  const { report, pinsToCheck } = reportedFiles(run, cfg, sel, checked);
  const resolved = await checkResolution(run, cfg, sel, checked, report);
  await checkPins(run, cfg, sel, checked, pinsToCheck, resolved);
  checkReleased(run, cfg, sel, checked);
  await checkSuiteVars(run, cfg, sel, checked, report, resolved.inputsOf);

  // 6. immutability and semver against a base revision
  if (baseCommit) {
    const { checkAgainstBase } = await import('./base.js');
    const baseProblems = await checkAgainstBase({ root: run.root, commit: baseCommit, rev: opts.base!, staged: opts.staged, promptsDir: cfg.promptsDir, layout: sel.layout, read: (rels) => run.src.read(rels) });
    for (const p of baseProblems) if (sel.inSel(p.file)) run.problems.push(p);
    // environment files: history only appended to, by promotions that could have happened
    const { checkEnvAgainstBase } = await import('./base-env.js');
    const envProblems = await checkEnvAgainstBase({ root: run.root, commit: baseCommit, rev: opts.base!, staged: opts.staged, promptsDir: cfg.promptsDir, environmentsDir: cfg.environmentsDir, envRels: sel.envRels, config: cfg.value, read: (rels) => run.src.read(rels) });
    for (const p of envProblems) if (sel.inSel(p.file) || !sel.layout.files.has(p.file)) run.problems.push(p);
  }

  // state committed to git under .prompts/ (never trusted, so never silently)
  run.problems.push(...stateTracked(run.state.tracked));

  const result = resultOf(run.problems, [CONFIG_FILE, ...[...report].sort()], cfg.configError, cfg.promptsDir);
  // --staged for a commit that touches no registry file (the pre-commit hook on a code commit)
  if (opts.staged && opts.paths.length === 0) {
    const inRegistry = (p: string): boolean => p === CONFIG_FILE || [cfg.promptsDir, cfg.environmentsDir, STATE_DIR].some((d) => p.startsWith(`${d}/`));
    if (!changes.some((c) => inRegistry(c.path))) result.untouched = true;
  }
  // the whole-run memo: a later run with nothing changed is answered by this result
  if (memoEligible && !cfg.unreadable && sel.selected === null && run.listedDirs[0] === cfg.promptsDir && run.listedDirs[1] === cfg.environmentsDir) {
    const trusted = (f: Fingerprint): boolean => trustworthy(f, run.scanStart);
    const key = listingKey(run.listing, (rel) => run.src.stat!(rel), trusted);
    const tree = treeOf(run.listing, run.dirPrints, trusted);
    if (key !== null && (key !== memo?.key || (tree && !memo.tree))) saveRunMemo(run.stateDir, { digest: cfg.digest, dirs: run.listedDirs, key, result, ...(tree ? { tree } : {}) }, run.state);
  }
  return result;
}

/**
 * `prompts promote <id>[@<version>] --env <env>`: options → gather → core plan (requires,
 * integrity, gate verdict) → apply (lock, compare-and-swap, one commit, optional push) → report.
 */
import type { CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { parseRef } from '../../core/ref.js';
import { isoSeconds } from '../../core/env-change.js';
import { planPromotion, type PromotionInput } from '../../core/promotion.js';
import { applyPlan, forRegistry, startGitProbe } from '../../apply/index.js';
import { decided, gatherPinnable, gatheredOutcome, reportApplied, reportDryRun, noChange, selectPin } from '../env-command.js';

export interface PromoteOptions {
  env: string;
  reason?: string;
  skipEval?: boolean;
  /** --report <file>: an eval report (e.g. merged CI shards) as the gate's evidence */
  report?: string;
  /** --base <rev>: the gate's provider endpoints and key variables from <rev>'s config */
  base?: string;
  /** false with --no-commit */
  commit: boolean;
  push?: boolean;
  dryRun?: boolean;
}

export async function run(ctx: CommandContext, args: string[], opts: PromoteOptions): Promise<number> {
  const raw = args[0] ?? '';
  const { env, skipEval = false, commit = true, push = false } = opts;
  const reason = opts.reason?.trim() || null;
  const report = opts.report;
  if (report !== undefined && skipEval) throw new UsageError('--report and --skip-eval cannot be used together: --report is the evidence for the gate, --skip-eval bypasses it');
  if (report !== undefined && report.trim() === '') throw new UsageError('--report needs a file (the JSON of prompts eval -o or prompts report merge)');
  if (skipEval && !reason) throw new UsageError('--skip-eval needs --reason <text>: skipping the gate is recorded with why', { hint: `e.g. --skip-eval --reason "hotfix, evals run manually"` });
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  if (push && !commit) throw new UsageError('--push needs a commit; drop --no-commit or --push');
  if (opts.base !== undefined && opts.base.trim() === '') throw new UsageError('--base needs a revision (e.g. --base origin/main)');
  const ref = parseRef(raw);
  if ('problem' in ref) throw new UsageError(ref.problem, { hint: 'promote takes <id> or <id>@<version>' });
  if (ref.selector.kind === 'env') {
    throw new UsageError(`promote takes <id> or <id>@<version>, not "${raw}"`, { hint: `to promote what ${ref.selector.env} pins, use "prompts promote ${ref.id} --env <env>" with "requires: ${ref.selector.env}"` });
  }

  // gather (git's first calls start now and run while the files are read)
  const early = startGitProbe(ctx.cwd, ctx.env);
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = forRegistry(early, ctx.cwd, registry.root, ctx.env);
  const versions = registry.assertPromptExists(ref.id);
  const sel = selectPin(registry, { env, id: ref.id, requestedVersion: ref.selector.kind === 'version' ? ref.selector.version : undefined, versions });
  const choice = decided(ctx, sel.decision);
  if (choice.kind === 'noop') return noChange(ctx, registry, choice, { probe, envFile: sel.snap.file, push: push && !opts.dryRun });
  const g = await gatherPinnable(ctx, registry, sel, choice, { probe, skipEval, report, commit, push });

  // plan
  const input: PromotionInput = {
    ...g.evidence,
    reason,
    file: sel.snap.rel,
    at: isoSeconds(new Date()), by: (await probe).by, historyLimit: registry.config.history_limit,
  };
  let plan = decided(ctx, planPromotion(input));
  // a --report is checked even in a dry run (reading it runs nothing); an eval the gate would run is not
  if (plan.pending === 'gate' && (!opts.dryRun || g.evidence.report !== undefined)) plan = decided(ctx, planPromotion({ ...input, outcome: await gatheredOutcome(ctx, registry, g, opts.base) }));
  if (opts.dryRun) return reportDryRun(ctx, plan, g.git, push);

  // apply, report
  for (const line of plan.before) ctx.info(line);
  const result = await applyPlan(plan, { registry, io: ctx, snap: sel.snap, git: g.git, label: `prompts promote ${choice.id}@${choice.version} --env ${env}` });
  return reportApplied(ctx, plan, result, g.git);
}

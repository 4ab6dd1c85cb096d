/**
 * `prompts rollout start <id>[@<version>] --env <env> [--weight N] [--stages a,b,…] [--salt s]`:
 * a candidate served to N % of the keys, behind the same `requires` and gate as promote (the
 * same selection, gathering and evidence code), as one commit. options → gather → core plan
 * (core/rollout.ts) → apply → report.
 */
import type { CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { parseRef } from '../../core/ref.js';
import { isoSeconds } from '../../core/env-change.js';
import { defaultSalt } from '../../core/bucket.js';
import { planRolloutStart, rolloutCandidate, startShape, type RolloutStartInput } from '../../core/rollout.js';
import { applyPlan, forRegistry, startGitProbe } from '../../apply/index.js';
import { decided, gatherPinnable, gatheredOutcome, reportApplied, reportDryRun, selectPin } from '../env-command.js';
import { commonStepOptions, parseStagesFlag, parseWeightFlag, type RolloutCommonOptions } from './rollout-step.js';
import { own } from '../../core/own.js';

export interface RolloutStartOptions extends RolloutCommonOptions {
  weight?: string;
  stages?: string;
  salt?: string;
  skipEval?: boolean;
  report?: string;
  /** --base <rev>: the gate's provider endpoints and key variables from <rev>'s config */
  base?: string;
}

export async function run(ctx: CommandContext, args: string[], opts: RolloutStartOptions): Promise<number> {
  const raw = args[0] ?? '';
  const { env, commit, push, reason } = commonStepOptions(opts);
  const skipEval = opts.skipEval ?? false;
  const report = opts.report;
  if (report !== undefined && skipEval) throw new UsageError('--report and --skip-eval cannot be used together: --report is the evidence for the gate, --skip-eval bypasses it');
  if (skipEval && !reason) throw new UsageError('--skip-eval needs --reason <text>: skipping the gate is recorded with why');
  if (opts.base !== undefined && opts.base.trim() === '') throw new UsageError('--base needs a revision (e.g. --base origin/main)');
  const weight = opts.weight === undefined ? undefined : parseWeightFlag(opts.weight);
  const stages = opts.stages === undefined ? undefined : parseStagesFlag(opts.stages);
  if (opts.salt !== undefined && (opts.salt.length === 0 || [...opts.salt].length > 256 || [...opts.salt].some((ch) => ch < ' ' || ch === '\x7f'))) {
    throw new UsageError('--salt must be 1 to 256 characters, without control characters');
  }
  const ref = parseRef(raw);
  if ('problem' in ref) throw new UsageError(ref.problem, { hint: 'rollout start takes <id>@<version> (or <id>: what the requires environment pins)' });
  if (ref.selector.kind === 'env') throw new UsageError(`rollout start takes <id>@<version>, not "${raw}"`);

  // gather: the same selection and evidence as promote
  const early = startGitProbe(ctx.cwd, ctx.env);
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = forRegistry(early, ctx.cwd, registry.root, ctx.env);
  const versions = registry.assertPromptExists(ref.id);
  const shape = decided(ctx, startShape({ weight, stages, configStages: own(registry.config.environments, env)?.rollout?.stages }));
  const sel = selectPin(registry, { env, id: ref.id, requestedVersion: ref.selector.kind === 'version' ? ref.selector.version : undefined, versions, change: 'another rollout' });
  const choice = decided(ctx, rolloutCandidate(sel.decision, sel.snap.value));
  const g = await gatherPinnable(ctx, registry, sel, choice, { probe, skipEval, report, commit, push });

  // plan
  const input: RolloutStartInput = {
    ...g.evidence,
    file: sel.snap.rel,
    target: sel.snap.value,
    weight: shape.weight,
    stages: shape.stages,
    salt: opts.salt ?? defaultSalt(choice.id, choice.version),
    reason,
    at: isoSeconds(new Date()),
    by: (await probe).by,
    historyLimit: registry.config.history_limit,
  };
  let plan = decided(ctx, planRolloutStart(input));
  // a --report is checked even in a dry run (reading it runs nothing); an eval the gate would run is not
  if (plan.pending === 'gate' && (!opts.dryRun || g.evidence.report !== undefined)) plan = decided(ctx, planRolloutStart({ ...input, outcome: await gatheredOutcome(ctx, registry, g, opts.base) }));
  if (opts.dryRun) return reportDryRun(ctx, plan, g.git, push);

  // apply, report
  for (const line of plan.before) ctx.info(line);
  const result = await applyPlan(plan, { registry, io: ctx, snap: sel.snap, git: g.git, label: `prompts rollout start ${choice.id}@${choice.version} --env ${env}` });
  return reportApplied(ctx, plan, result, g.git);
}

/**
 * `prompts rollout set | advance | abort | complete <id> --env <env>`: a step of a running
 * rollout, each one commit of the environment file through the one apply path. options →
 * gather (the pin's view; for complete the candidate's bytes) → core plan (core/rollout.ts) →
 * apply → report. `rollout check --apply` carries its verdict out through `carryOut` here.
 */
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry, type Registry } from '../../registry/registry.js';
import { readEnvView, type EnvView } from '../../registry/env-view.js';
import { contentSha256 } from '../../registry/files.js';
import { idProblem } from '../../core/ref.js';
import { parseWeight } from '../../core/bucket.js';
import { isoSeconds, type EnvChangePlan, type NoChange, type Refused } from '../../core/env-change.js';
import { planRolloutAbort, planRolloutAdvance, planRolloutComplete, planRolloutSet, type RolloutStepInput } from '../../core/rollout.js';
import { approvalRules } from '../../core/approval.js';
import { applyPlan, forRegistry, preflight, startGitProbe, type GitProbe } from '../../apply/index.js';
import { decided, gitChecked, reportApplied, reportDryRun, reportNoChange } from '../env-command.js';
import { appliedDocument, dryRunDocument, noChangeDocument } from '../reporters/env-change.js';
import { own } from '../../core/own.js';

export interface RolloutCommonOptions {
  env: string;
  reason?: string;
  /** false with --no-commit */
  commit?: boolean;
  push?: boolean;
  dryRun?: boolean;
}

export function commonStepOptions(opts: RolloutCommonOptions): { env: string; commit: boolean; push: boolean; reason: string | null } {
  const reason = opts.reason?.trim() || null;
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  const commit = opts.commit !== false;
  const push = opts.push ?? false;
  if (push && !commit) throw new UsageError('--push needs a commit; drop --no-commit or --push');
  return { env: opts.env, commit, push, reason };
}

/** `--weight` text as a weight: 0 to 100, at most 2 decimals (exit 2 otherwise). */
export function parseWeightFlag(text: string): number {
  const w = parseWeight(text);
  if (w === null) throw new UsageError(`--weight "${text}" is not a percentage from 0 to 100 with at most 2 decimals`, { hint: 'e.g. --weight 5 or --weight 12.5' });
  return w;
}

/** `--stages 5,25,50,100` (exit 2 for anything that is not a list of weights; core checks the order). */
export function parseStagesFlag(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const w = parseWeight(p.replace(/%$/, ''));
    if (w === null || w === 0) throw new UsageError(`--stages "${text}": "${p}" is not a percentage above 0 and at most 100 with at most 2 decimals`, { hint: 'e.g. --stages 5,25,50,100' });
    out.push(w);
  }
  return out;
}

function promptId(args: string[], verb: string): string {
  const id = args[0] ?? '';
  const p = idProblem(id);
  if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`, { hint: `rollout ${verb} takes a prompt id (no @version)` });
  return id;
}

export type StepKind = 'set' | 'advance' | 'abort' | 'complete';

/** The core plan of one step, from the pin as read now. */
export function planStep(registry: Registry, snap: EnvView, kind: StepKind, base: Omit<RolloutStepInput, 'file' | 'target'>, weight?: number): EnvChangePlan | NoChange | Refused {
  const input: RolloutStepInput = { ...base, file: snap.rel, target: snap.value };
  switch (kind) {
    case 'set':
      return planRolloutSet({ ...input, weight: weight! });
    case 'advance':
      return planRolloutAdvance(input);
    case 'abort':
      return planRolloutAbort(input);
    case 'complete': {
      const candidate = own(snap.value.prompts, base.id)?.rollout?.version;
      const file = candidate ? registry.versionPath(base.id, candidate) : null;
      let digest: string | null = null;
      try {
        if (file) digest = contentSha256(fs.readFileSync(file));
      } catch {
        digest = null;
      }
      const signed = approvalRules(registry.config.environments[base.env]?.approvals).signed;
      return planRolloutComplete({ ...input, candidateFile: file ? registry.rel(file) : '', candidateSha256: digest, signed });
    }
  }
}

/**
 * After the plan: the git checks (for complete, the candidate's file is committed: it becomes the
 * pinned bytes), the dry run, or the apply and its report. `embed` (rollout check --json): the
 * JSON document is returned for the caller's own document instead of being written.
 */
export async function carryOut(
  ctx: CommandContext,
  o: { registry: Registry; probe: Promise<GitProbe>; snap: EnvView; plan: EnvChangePlan | NoChange; commit: boolean; push: boolean; dryRun: boolean; label: string; embed?: boolean },
): Promise<{ code: number; document: Record<string, unknown> }> {
  const { registry, plan } = o;
  const quiet = Boolean(o.embed && ctx.json);
  if (plan.kind === 'noop') {
    if (!quiet) reportNoChange(ctx, plan);
    return { code: 0, document: noChangeDocument(plan) };
  }
  const pinnedFile = plan.action === 'rollout-complete' ? registry.versionPath(plan.id, plan.to) : null;
  const git = await gitChecked(ctx, preflight(registry, { probe: o.probe, envFile: o.snap.file, pinnedFile, commit: o.commit, push: o.push }));
  if (o.dryRun) {
    if (!quiet) reportDryRun(ctx, plan, git, o.push);
    return { code: 0, document: dryRunDocument(plan, { commit: git.repo !== null, push: o.push }) };
  }
  for (const line of plan.before) ctx.info(line);
  const result = await applyPlan(plan, { registry, io: ctx, snap: o.snap, git, label: o.label });
  if (!quiet) reportApplied(ctx, plan, result, git);
  return { code: 0, document: appliedDocument(plan, result) };
}

async function step(ctx: CommandContext, kind: StepKind, args: string[], opts: RolloutCommonOptions & { weight?: string }): Promise<number> {
  const id = promptId(args, kind);
  const { env, commit, push, reason } = commonStepOptions(opts);
  if (kind === 'abort' && !reason) throw new UsageError('rollout abort needs --reason <text>: an abort is recorded with why', { hint: 'e.g. --reason "error rate up on the candidate"' });
  let weight: number | undefined;
  if (kind === 'set') {
    if (opts.weight === undefined) throw new UsageError('rollout set needs --weight <percent>');
    weight = parseWeightFlag(opts.weight);
  }
  const early = startGitProbe(ctx.cwd, ctx.env);
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = forRegistry(early, ctx.cwd, registry.root, ctx.env);
  const snap = readEnvView(registry, env, id);
  const base = { id, env, reason, at: isoSeconds(new Date()), by: (await probe).by, historyLimit: registry.config.history_limit };
  const plan = decided(ctx, planStep(registry, snap, kind, base, weight));
  return (await carryOut(ctx, { registry, probe, snap, plan, commit, push, dryRun: Boolean(opts.dryRun), label: `prompts rollout ${kind} ${id} --env ${env}` })).code;
}

export const runSet = (ctx: CommandContext, args: string[], opts: RolloutCommonOptions & { weight?: string }): Promise<number> => step(ctx, 'set', args, opts);
export const runAdvance = (ctx: CommandContext, args: string[], opts: RolloutCommonOptions): Promise<number> => step(ctx, 'advance', args, opts);
export const runAbort = (ctx: CommandContext, args: string[], opts: RolloutCommonOptions): Promise<number> => step(ctx, 'abort', args, opts);
export const runComplete = (ctx: CommandContext, args: string[], opts: RolloutCommonOptions): Promise<number> => step(ctx, 'complete', args, opts);

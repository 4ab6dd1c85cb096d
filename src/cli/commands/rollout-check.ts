/**
 * `prompts rollout check [<id>] --env <env> [--metrics <file.json> | --prometheus <url>]
 * [--window 1h] [--apply [--push]]`: per-arm metrics → the verdict (core/rollout-check.ts) with
 * the numbers behind it; `--apply` carries it out as the matching step would (rollout-step.ts,
 * one commit). Without <id>, every rollout running in the environment. Exit 0, or 1 when a
 * verdict is abort (applied or not).
 */
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry, type Registry } from '../../registry/registry.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { readEnvView } from '../../registry/env-view.js';
import { idProblem } from '../../core/ref.js';
import { isoSeconds } from '../../core/env-change.js';
import { armQueries, PROMQL_DURATION, QueryTemplateError } from '../../core/promql.js';
import { checkRollout, type CheckResult, type MeasuredArm } from '../../core/rollout-check.js';
import type { RolloutConfig } from '../../core/types.js';
import { forRegistry, startGitProbe, type GitProbe } from '../../apply/index.js';
import { decided } from '../env-command.js';
import { renderCheckText, checkTrailers } from '../reporters/rollout-check.js';
import { carryOut, commonStepOptions, planStep, type RolloutCommonOptions } from './rollout-step.js';
import { own } from '../../core/own.js';
import { safeText } from '../../core/escape.js';

export interface RolloutCheckOptions extends RolloutCommonOptions {
  metrics?: string;
  prometheus?: string;
  window?: string;
  apply?: boolean;
}

interface Source {
  measure(r: { id: string; env: string; stable: string; candidate: string; window: string }): Promise<{ stable: MeasuredArm | null; candidate: MeasuredArm | null; source: string }>;
}

function metricsSource(ctx: CommandContext, cfg: RolloutConfig, opts: RolloutCheckOptions): Source {
  if (opts.metrics !== undefined && opts.prometheus !== undefined) throw new UsageError('--metrics and --prometheus cannot be used together: name one source of metrics');
  if (opts.metrics !== undefined) {
    const file = path.resolve(ctx.cwd, opts.metrics);
    return {
      measure: async (r) => {
        const { readMetricsFile } = await import('../../metrics/file.js');
        return readMetricsFile(file, opts.metrics!, { stable: r.stable, candidate: r.candidate });
      },
    };
  }
  const prom = cfg.metrics?.prometheus;
  const url = opts.prometheus ?? prom?.url;
  if (!url) {
    throw new UsageError('rollout check needs metrics: --metrics <file.json>, --prometheus <url>, or environments.<env>.rollout.metrics.prometheus.url in prompts.config.yaml');
  }
  return {
    measure: async (r) => {
      const { prometheusArms } = await import('../../metrics/prometheus.js');
      const queries = (version: string): ReturnType<typeof armQueries> => {
        try {
          return armQueries(prom?.queries, { id: r.id, version, env: r.env, window: r.window });
        } catch (e) {
          if (e instanceof QueryTemplateError) throw new UsageError(`environments.${r.env}.rollout.metrics.prometheus.queries: ${e.message}`, { location: { file: 'prompts.config.yaml' } });
          throw e;
        }
      };
      return prometheusArms({ url, timeoutMs: prom?.timeout_ms ?? 10_000 }, { stable: { version: r.stable, queries: queries(r.stable) }, candidate: { version: r.candidate, queries: queries(r.candidate) } });
    },
  };
}

/** The rollouts to check: the named prompt, or every rollout running in the environment. */
function rolloutIds(registry: Registry, env: string, id: string | undefined): string[] {
  if (id !== undefined) return [id];
  const file = readEnvSnapshot(registry, env).value;
  return Object.keys(file.prompts).filter((k) => own(file.prompts, k)!.rollout).sort();
}

export async function run(ctx: CommandContext, args: string[], opts: RolloutCheckOptions): Promise<number> {
  const id = args[0];
  if (id !== undefined) {
    const p = idProblem(id);
    if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`);
  }
  const { env, commit, push } = commonStepOptions(opts);
  if (!opts.apply && (opts.push || opts.commit === false || opts.dryRun)) throw new UsageError('--push, --no-commit and --dry-run go with --apply (a check alone writes nothing)');
  const early = opts.apply ? startGitProbe(ctx.cwd, ctx.env) : null;
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const cfg = own(registry.config.environments, env)?.rollout ?? {};
  const window = opts.window ?? cfg.window ?? '1h';
  if (!PROMQL_DURATION.test(window)) throw new UsageError(`--window "${window}" is not a duration (e.g. 30m, 1h, 1h30m)`);
  const source = metricsSource(ctx, cfg, opts);
  const probe: Promise<GitProbe> | null = early && forRegistry(early, ctx.cwd, registry.root, ctx.env);
  if (!cfg.advance_when && !cfg.abort_when && !cfg.min_requests) ctx.warn(`warning: environments.${env}.rollout sets no min_requests, advance_when or abort_when: check advances on any traffic`);

  const docs: Record<string, unknown>[] = [];
  let aborted = false;
  const ids = rolloutIds(registry, env, id);
  if (id === undefined && ids.length === 0 && !ctx.json) ctx.stdout.write(`no rollout running in ${safeText(env)}; nothing to check\n`);
  for (const pid of ids) {
    const snap = readEnvView(registry, env, pid);
    const pin = own(snap.value.prompts, pid);
    const r = pin?.rollout;
    if (!pin || !r) {
      if (id !== undefined && registry.listVersions(pid).length === 0 && !pin) registry.assertPromptExists(pid);
      const message = `no rollout of ${pid} is running in ${env}; nothing to check`;
      const shown = `no rollout of ${safeText(pid)} is running in ${safeText(env)}; nothing to check`;
      if (!ctx.json) ctx.stdout.write(`${shown}\n`);
      docs.push({ ok: true, id: pid, env, verdict: null, message });
      continue;
    }
    const arms = await source.measure({ id: pid, env, stable: pin.version, candidate: r.version, window });
    const result = checkRollout({ id: pid, env, stable: pin.version, rollout: r, config: cfg, source: arms.source, window, stableArm: arms.stable, candidateArm: arms.candidate, now: new Date().toISOString() });
    if (result.verdict === 'abort') aborted = true;
    if (!ctx.json) ctx.stdout.write(renderCheckText(result));
    let applied: Record<string, unknown> | null = null;
    if (opts.apply && result.verdict !== 'hold') applied = await apply(ctx, registry, probe!, result, { commit, push, dryRun: Boolean(opts.dryRun) });
    docs.push({ ok: result.verdict !== 'abort', ...result, applied });
  }
  if (ctx.json) writeJson(ctx, id !== undefined ? docs[0] : { ok: !aborted, env, checks: docs });
  return aborted ? 1 : 0;
}

/** The verdict carried out as `rollout advance | complete | abort` would, with the numbers in the commit body. */
async function apply(ctx: CommandContext, registry: Registry, probe: Promise<GitProbe>, result: CheckResult, o: { commit: boolean; push: boolean; dryRun: boolean }): Promise<Record<string, unknown>> {
  const kind = result.verdict === 'advance' ? 'advance' : result.verdict === 'complete' ? 'complete' : 'abort';
  // read again: the metrics took a while, and the plan is made against the file as it is now
  const snap = readEnvView(registry, result.env, result.id);
  const base = {
    id: result.id,
    env: result.env,
    reason: `rollout check: ${result.reasons[0] ?? result.verdict}`,
    at: isoSeconds(new Date()),
    by: (await probe).by,
    historyLimit: registry.config.history_limit,
    extra: checkTrailers(result),
  };
  const plan = decided(ctx, planStep(registry, snap, kind, base));
  const done = await carryOut(ctx, { registry, probe, snap, plan, commit: o.commit, push: o.push, dryRun: o.dryRun, label: `prompts rollout check ${result.id} --env ${result.env} --apply`, embed: true });
  return done.document;
}

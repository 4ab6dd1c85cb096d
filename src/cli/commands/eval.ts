/**
 * `prompts eval <ref>`: runs the prompt's suite against a provider, optionally compares with a
 * baseline version, prints a report (text / json / junit), stores it under .prompts/evals/,
 * writes -o <file>, and appends a markdown summary to $GITHUB_STEP_SUMMARY when set.
 * Exit 0 ok; 1 regressions, failed cases (or pass rate below --min-pass-rate), interrupted run
 * or stopped by the circuit breaker; 2 usage/configuration; 130 after Ctrl-C.
 */
import type { CommandContext } from '../ui.js';
import { writeJson, appendStepSummary } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { resolveRef } from '../../registry/resolve-ref.js';
import { prepareOutput, writeOutput } from '../output-file.js';
import { loadEvalTarget, SuiteMissing, type EvalTarget } from '../../eval/suite.js';
import { runEval, type CaseResult, type EvalRun } from '../../eval/runner.js';
import { buildReport, storeReport } from '../../eval/report.js';
import type { CacheMode } from '../../eval/cache.js';

interface EvalOpts {
  baseline?: string;
  provider?: string;
  concurrency?: string;
  record?: boolean;
  replay?: boolean;
  cache?: boolean;
  minPassRate?: string;
  format?: string;
  output?: string;
}

function parseOptions(o: EvalOpts): { concurrency?: number; cacheMode: CacheMode; minPassRate: number | null; format: 'text' | 'json' | 'junit' } {
  let concurrency: number | undefined;
  if (o.concurrency !== undefined) {
    concurrency = Number(o.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256, got "${o.concurrency}"`);
  }
  if (o.record && o.replay) throw new UsageError('--record and --replay cannot be used together', { hint: '--record refreshes the cache from the provider; --replay reads only the cache' });
  if (o.cache === false && (o.record || o.replay)) throw new UsageError(`--no-cache cannot be combined with ${o.record ? '--record' : '--replay'}`);
  const cacheMode: CacheMode = o.replay ? 'replay' : o.record ? 'record' : o.cache === false ? 'off' : 'readwrite';
  let minPassRate: number | null = null;
  if (o.minPassRate !== undefined) {
    minPassRate = Number(o.minPassRate);
    if (o.minPassRate.trim() === '' || !Number.isFinite(minPassRate) || minPassRate < 0 || minPassRate > 1) {
      throw new UsageError(`--min-pass-rate must be a number from 0 to 1 (e.g. 0.9), got "${o.minPassRate}"`);
    }
  }
  const format = o.format ?? 'text';
  if (format !== 'text' && format !== 'json' && format !== 'junit') throw new UsageError(`unknown --format "${format}"`, { hint: 'use text, json or junit' });
  return { concurrency, cacheMode, minPassRate, format };
}

function loadTarget(registry: ReturnType<typeof openRegistry>, id: string, version: string): EvalTarget {
  try {
    return loadEvalTarget(registry, id, version);
  } catch (e) {
    if (e instanceof SuiteMissing) {
      throw new UsageError(`prompt "${id}" has no eval suite`, { location: { file: e.rel }, hint: `create ${e.rel} with cases and assertions (see "prompts init --example")` });
    }
    throw e;
  }
}

export async function run(ctx: CommandContext, args: string[], rawOpts: Record<string, unknown>): Promise<number> {
  const o = rawOpts as EvalOpts;
  const opts = parseOptions(o);
  const registry = openRegistry(ctx.cwd);
  const ref = resolveRef(registry, args[0] ?? '');
  let target = loadTarget(registry, ref.id, ref.version);
  // <id>@<env> runs the version as that environment does (its overrides.model), as render and
  // the promotion gate do; the baseline then runs with the same overrides
  const { inEnvironment } = ref.via !== undefined ? await import('../../eval/gate.js') : { inEnvironment: undefined };
  const asEnv = (t: EvalTarget): EvalTarget => (inEnvironment && ref.via !== undefined ? inEnvironment(registry, ref.via, t) : t);
  target = asEnv(target);
  if (ref.via !== undefined && registry.config.environments[ref.via]?.overrides?.model) ctx.info(`${ref.via} overrides applied`);
  let baselineTarget: EvalTarget | undefined;
  if (o.baseline !== undefined) {
    if (o.baseline.includes('@')) throw new UsageError(`--baseline takes a version or an environment name, not a reference: "${o.baseline}"`);
    const b = resolveRef(registry, `${ref.id}@${o.baseline}`);
    baselineTarget = asEnv(loadTarget(registry, b.id, b.version));
    // against an environment, its gate's min_pass_rate applies unless --min-pass-rate is given
    const gateMin = b.via !== undefined ? registry.config.environments[b.via]?.gate?.min_pass_rate : undefined;
    if (opts.minPassRate === null && gateMin !== undefined) {
      opts.minPassRate = gateMin;
      ctx.info(`using environment "${b.via}"'s gate: min_pass_rate ${gateMin}`);
    }
  }
  // checked before the run (which may cost time and money); never overwrites a file that is not an eval report
  const outFile = o.output !== undefined ? prepareOutput(ctx.cwd, o.output, { command: 'eval', example: 'eval-report.json', isOurs: isEvalReportText }).file : undefined;
  const jsonOut = ctx.json || opts.format === 'json';

  // Ctrl-C: stop scheduling, keep what finished, write the partial report. A second Ctrl-C kills.
  const ac = new AbortController();
  const onSigint = (): void => {
    if (ac.signal.aborted) {
      process.removeListener('SIGINT', onSigint);
      process.kill(process.pid, 'SIGINT');
      return;
    }
    ctx.warn('\ninterrupted: finishing the report of the cases that completed (Ctrl-C again to quit at once)');
    ac.abort();
  };
  process.on('SIGINT', onSigint);

  const progress = (label: string) => {
    if (!ctx.interactive) return undefined;
    let last = 0;
    let failed = 0;
    return (r: CaseResult, done: number, total: number): void => {
      if (!r.pass) failed++;
      const now = Date.now();
      if (done !== total && now - last < 80) return;
      last = now;
      // the line is redrawn in place and cleared when the run is done (the table follows on stdout)
      ctx.stderr.write(done === total ? '\r\x1b[2K' : `\r\x1b[2K${label} ${done}/${total}${failed ? ` (${failed} failing)` : ''}`);
    };
  };

  const common = {
    registry,
    provider: o.provider,
    concurrency: opts.concurrency,
    cacheMode: opts.cacheMode,
    env: ctx.env,
    signal: ac.signal,
    onLog: ctx.verbose ? (m: string) => ctx.info(m) : undefined,
  };
  let current: EvalRun;
  let baselineRun: EvalRun | undefined;
  try {
    ctx.info(`eval ${target.id}@${target.version}: ${target.cases.length} of ${target.totalCases} case(s) apply`);
    current = await runEval({ ...common, target, onResult: progress(`${target.id}@${target.version}`) });
    if (baselineTarget && !current.interrupted && current.stopped === null) {
      ctx.info(`baseline ${baselineTarget.id}@${baselineTarget.version}: ${baselineTarget.cases.length} case(s)`);
      baselineRun = await runEval({ ...common, target: baselineTarget, onResult: progress(`baseline ${baselineTarget.version}`) });
      if (baselineRun.interrupted) current.interrupted = true;
      if (baselineRun.stopped !== null && current.stopped === null) {
        current.stopped = `baseline ${baselineTarget.version}: ${baselineRun.stopped}`;
        current.fatal = baselineRun.fatal;
      }
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }

  const report = buildReport(target, current, {
    baseline: baselineRun && baselineTarget ? { version: baselineTarget.version, results: baselineRun.results } : null,
    minPassRate: opts.minPassRate,
  });
  storeReport(registry, report);
  // the baseline's own report too, so a later gate (promote) can reuse it
  if (baselineRun && baselineTarget && !baselineRun.interrupted && baselineRun.stopped === null) storeReport(registry, buildReport(baselineTarget, baselineRun));
  if (outFile) writeOutput(outFile, `${JSON.stringify(report, null, 2)}\n`);
  if (ctx.env.GITHUB_STEP_SUMMARY) {
    const { renderEvalMarkdown } = await import('../reporters/eval-markdown.js');
    appendStepSummary(ctx, () => renderEvalMarkdown(report));
  }
  if (current.fatal && current.stopped !== null) {
    throw new UsageError(current.stopped, { hint: `${report.cases} case(s) finished before it; the partial report is in .prompts/evals/` });
  }
  if (jsonOut) writeJson(ctx, report);
  else if (opts.format === 'junit') {
    const { renderEvalJunit } = await import('../reporters/eval-junit.js');
    ctx.stdout.write(renderEvalJunit(report));
  } else {
    const { renderEvalText } = await import('../reporters/eval-text.js');
    ctx.stdout.write(renderEvalText(report, await ctx.c()));
  }
  if (current.interrupted) return 130;
  return report.ok ? 0 : 1;
}

/** An earlier `prompts eval -o` report (the only kind of file -o replaces). */
function isEvalReportText(text: string): boolean {
  try {
    const v = JSON.parse(text) as { suite_sha256?: unknown; results?: unknown };
    return v !== null && typeof v === 'object' && typeof v.suite_sha256 === 'string' && Array.isArray(v.results);
  } catch {
    return false;
  }
}

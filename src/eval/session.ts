/**
 * One `prompts eval` invocation: several jobs (a prompt version on a provider, optionally with
 * its baseline) run side by side under one request limiter (`--concurrency` bounds the whole
 * command) and one budget (`--max-cost`), each producing one report. Reports of complete,
 * unsharded runs are stored under .prompts/evals/ for a later gate to reuse.
 */
import type { Registry } from '../registry/registry.js';
import { Budget } from './budget.js';
import type { CacheMode } from './cache.js';
import { Limiter } from './limiter.js';
import { buildReport, storeReport, storeSlot, type EvalReport } from './report.js';
import { prepareEval, runEval, type CaseResult, type EvalRun, type EvalRunOptions, type PreparedEval } from './runner.js';
import type { EvalTarget, RepeatPolicy } from './suite.js';

export interface EvalJob {
  /** the version as evaluated (environment overrides and shard applied) */
  target: EvalTarget;
  provider: string;
  /** the model sent (default: the version's) */
  model?: string;
  baseline?: EvalTarget;
  policy: RepeatPolicy;
  minPassRate: number | null;
}

export interface SessionOptions {
  registry: Registry;
  jobs: EvalJob[];
  concurrency: number;
  cacheMode: CacheMode;
  maxCostUsd: number | null;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onLog?: (msg: string) => void;
  /** called as cases finish (all jobs together) */
  onProgress?: (done: number, total: number, failing: number) => void;
  /** called when a job starts its candidate or baseline run */
  onStart?: (job: EvalJob, what: 'candidate' | 'baseline') => void;
  backoffBaseMs?: number;
}

export interface SessionResult {
  reports: EvalReport[];
  /** a configuration problem that stopped a run (wrong key, unknown model): exit 2 */
  fatal: string | null;
  interrupted: boolean;
  duration_ms: number;
  started_at: string;
}

export async function runSession(o: SessionOptions): Promise<SessionResult> {
  const started_at = new Date().toISOString();
  const t0 = performance.now();
  const limiter = new Limiter(o.concurrency);
  const budget = o.maxCostUsd !== null ? new Budget(o.maxCostUsd) : undefined;
  const total = o.jobs.reduce((n, j) => n + j.target.cases.length + (j.baseline?.cases.length ?? 0), 0);
  let done = 0;
  let failing = 0;
  const onResult = (r: CaseResult): void => {
    done++;
    if (!r.pass) failing++;
    o.onProgress?.(done, total, failing);
  };
  const common = { registry: o.registry, concurrency: o.concurrency, cacheMode: o.cacheMode, env: o.env, signal: o.signal, onLog: o.onLog, limiter, budget, backoffBaseMs: o.backoffBaseMs, onResult };
  let fatal: string | null = null;
  const reports: (EvalReport | undefined)[] = new Array<EvalReport | undefined>(o.jobs.length);

  // every run is set up and checked before the first request (unknown provider, missing key,
  // a budget without prices): a usage error leaves nothing running and nothing written
  const prepared: { candidate: PreparedEval; baseline?: PreparedEval }[] = o.jobs.map((job) => {
    const flags: Omit<EvalRunOptions, 'target'> = { ...common, provider: job.provider, model: job.model, repeat: job.policy.repeat, casePassRate: job.policy.case_pass_rate };
    return { candidate: prepareEval({ ...flags, target: job.target }), baseline: job.baseline ? prepareEval({ ...flags, target: job.baseline }) : undefined };
  });

  async function runJob(i: number): Promise<void> {
    const job = o.jobs[i]!;
    const p = prepared[i]!;
    o.onStart?.(job, 'candidate');
    const current: EvalRun = await runEval(p.candidate);
    let baselineRun: EvalRun | undefined;
    if (job.baseline && p.baseline && !current.interrupted && current.stopped === null) {
      o.onStart?.(job, 'baseline');
      baselineRun = await runEval(p.baseline);
      if (baselineRun.interrupted) current.interrupted = true;
      if (baselineRun.stopped !== null && current.stopped === null) {
        current.stopped = `baseline ${job.baseline.version}: ${baselineRun.stopped}`;
        current.fatal = baselineRun.fatal;
        current.budget_exhausted ||= baselineRun.budget_exhausted;
      }
    }
    if (current.fatal && current.stopped !== null) fatal ??= current.stopped;
    const report = buildReport(job.target, current, {
      baseline: baselineRun && job.baseline ? { version: job.baseline.version, sha256: job.baseline.sha256, results: baselineRun.results } : null,
      minPassRate: job.minPassRate,
      maxCostUsd: o.maxCostUsd,
    });
    reports[i] = report;
    // Stored where a gate looks for the last report of this version on this provider. Not a
    // shard (part of the suite), nor a run of another model than the version's (never evidence:
    // it would only replace the report a gate could reuse).
    if (!job.target.shard && (job.model === undefined || job.model === job.target.prompt.model.name)) {
      storeReport(o.registry, report, storeSlot(o.registry, job.target, job.provider));
      // the baseline's own report too, so a later gate (promote) can reuse it
      if (baselineRun && job.baseline && !baselineRun.interrupted && baselineRun.stopped === null) {
        storeReport(o.registry, buildReport(job.baseline, baselineRun), storeSlot(o.registry, job.baseline, job.provider));
      }
    }
  }

  // jobs run side by side (at most `concurrency` at once); their requests share the limiter
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.jobs.length) await runJob(next++);
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.jobs.length)) }, worker));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  return {
    reports: reports.filter((r): r is EvalReport => r !== undefined),
    fatal,
    interrupted: o.signal?.aborted ?? false,
    duration_ms: Math.round((performance.now() - t0) * 10) / 10,
    started_at,
  };
}

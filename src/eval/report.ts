/**
 * The eval report (schemas/eval-report.schema.json): built from a run (and optionally a
 * baseline run), stored as the last report of each version under `.prompts/evals/<id>/<version>.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvalSummary } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { sha256 } from '../registry/files.js';
import { readStateText, trackedStateSync, writeStateFile } from '../registry/state.js';
import { chooseProvider } from './choose.js';
import type { CaseResult, EvalRun } from './runner.js';
import type { EvalTarget } from './suite.js';
import type { ShardInfo } from './shard.js';

/** `unknown`: the baseline could not evaluate the case (an error), so nothing is known about a change */
export type CaseChange = 'regression' | 'improvement' | 'unchanged' | 'new' | 'unknown';

export interface ReportResult extends CaseResult {
  /** vs the baseline, when there is one */
  change?: CaseChange;
  /** the baseline's result of this case (absent for new cases and without a baseline) */
  baseline?: { pass: boolean; error: string | null; output: string | null };
}

export interface BaselineSummary {
  version: string;
  /** sha256 of the baseline version file (reports written before it was recorded lack it) */
  sha256?: string;
  pass_rate: number;
  passed: number;
  cases: number;
  /** cases both runs have (by name): the pass-rate delta is computed on these only */
  common_cases: number;
  /** of those, how many pass now and how many passed in the baseline */
  common_passed: number;
  common_baseline_passed: number;
  /** pass rate now minus the baseline's, both over the common cases (new and removed cases left out) */
  delta: number;
}

export interface MergeInfo {
  shards: number;
  /** the shard reports merged, in shard order */
  inputs: { shard: string; sha256: string; started_at: string; duration_ms: number }[];
}

export interface EvalReport {
  ok: boolean;
  prompt: string;
  version: string;
  sha256: string;
  /** of the resolved content (only for a prompt with partials or parents) */
  resolved_sha256?: string;
  /** sha256 of each other file the prompt was resolved from (only when there are any) */
  deps?: Record<string, string>;
  suite_sha256: string;
  provider: string;
  provider_type: string;
  model: string;
  /** the model parameters sent (the version's, with an environment's overrides when a gate ran it) */
  parameters?: Record<string, unknown>;
  /** digest of the config entries of the providers used (see config-digest.ts); null in old reports */
  config_sha256: string | null;
  cases: number;
  passed: number;
  failed: number;
  errors: number;
  pass_rate: number;
  min_pass_rate: number | null;
  /** runs per case, and the share of them a case needs to pass */
  repeat: number;
  case_pass_rate: number;
  regressions: string[];
  improvements: string[];
  unchanged: number;
  /** cases the baseline ran that did not run now (removed from the suite, or not for this version) */
  removed: string[];
  /** with a baseline: cases that ran now that the baseline did not run (added to the suite, or newly applying) */
  new: string[];
  baseline: BaselineSummary | null;
  tokens: { input: number; output: number; total: number };
  cost_usd: number | null;
  /** over every run that got a response (repeats included); null without any */
  latency: { p50_ms: number | null; p95_ms: number | null };
  started_at: string;
  duration_ms: number;
  /** Ctrl-C: `results` holds only the cases that finished */
  interrupted: boolean;
  /** why the run stopped early (circuit breaker, wrong key, budget, …), else null */
  stopped: string | null;
  /** `--max-cost` refused a request: the cases after it did not run */
  budget_exhausted: boolean;
  max_cost_usd: number | null;
  /** a shard run (`--shard i/n`): `results` holds only that shard's cases */
  shard: ShardInfo | null;
  /** written by `prompts report merge` from shard reports */
  merged: MergeInfo | null;
  results: ReportResult[];
}

export interface Comparison {
  regressions: string[];
  improvements: string[];
  unchanged: number;
  /** cases failing now whose baseline errored: possible regressions that could not be checked */
  unverified: string[];
  change: Map<string, CaseChange>;
}

/**
 * Per case by name: pass→fail is a regression, fail→pass an improvement; cases absent from the
 * baseline are new. A baseline case that errored (no answer: network, missing --replay entry…)
 * proves nothing: the case is `unknown`, and when it fails now it is `unverified` (it may be a
 * regression), never an improvement or "unchanged".
 */
export function compareResults(
  current: readonly Pick<CaseResult, 'name' | 'pass'>[],
  baseline: readonly (Pick<CaseResult, 'name' | 'pass'> & { error?: string | null })[],
): Comparison {
  const base = new Map<string, { pass: boolean; errored: boolean }>();
  for (const b of baseline) base.set(b.name, { pass: b.pass, errored: !b.pass && b.error !== undefined && b.error !== null });
  const out: Comparison = { regressions: [], improvements: [], unchanged: 0, unverified: [], change: new Map() };
  for (const c of current) {
    const b = base.get(c.name);
    const ch = changeOf(c.pass, b);
    out.change.set(c.name, ch);
    if (ch === 'regression') out.regressions.push(c.name);
    else if (ch === 'improvement') out.improvements.push(c.name);
    else if (ch === 'unchanged') out.unchanged++;
    else if (ch === 'unknown' && !c.pass) out.unverified.push(c.name);
  }
  return out;
}

function changeOf(pass: boolean, b: { pass: boolean; errored: boolean } | undefined): CaseChange {
  if (b === undefined) return 'new';
  if (b.errored) return 'unknown';
  if (b.pass && !pass) return 'regression';
  if (!b.pass && pass) return 'improvement';
  return 'unchanged';
}

export function rate(passed: number, cases: number): number {
  return cases === 0 ? 0 : Math.round((passed / cases) * 10000) / 10000;
}

export interface BaselineInfo {
  version: string;
  sha256?: string;
  results: readonly (Pick<CaseResult, 'name' | 'pass' | 'error'> & { output?: string | null })[];
}

/** Nearest-rank percentile of sorted values (null for none). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The fields of a report that come from the run, not from its results. */
export type ReportHeader = Pick<
  EvalReport,
  | 'prompt' | 'version' | 'sha256' | 'resolved_sha256' | 'deps' | 'suite_sha256' | 'provider' | 'provider_type' | 'model' | 'parameters' | 'config_sha256'
  | 'min_pass_rate' | 'repeat' | 'case_pass_rate' | 'started_at' | 'duration_ms' | 'interrupted' | 'stopped'
  | 'budget_exhausted' | 'max_cost_usd' | 'shard' | 'merged'
>;

/**
 * Counts, totals, comparison lists and `ok` from results whose `change` is already set (when
 * there is a baseline). Used for a run's report and for a merge of shard reports, so both
 * compute every number the same way.
 *
 * `ok` is the exit status: no regressions (nor failing cases whose baseline errored), the pass
 * rate at least `min_pass_rate` when given, and — without a baseline and without a minimum —
 * every case passed. A run that was interrupted, stopped early or ran out of budget is never
 * ok, nor a run in which no case applied. A shard may be empty, and its pass rate is not held
 * against the minimum: the merge of all shards is.
 */
export function finishReport(h: ReportHeader, results: ReportResult[], baseline: { version: string; sha256?: string; passed: number; cases: number } | null, removed: string[]): EvalReport {
  let passed = 0;
  let errors = 0;
  const tokens = { input: 0, output: 0, total: 0 };
  let cost: number | null = 0;
  const latencies: number[] = [];
  const regressions: string[] = [];
  const improvements: string[] = [];
  let unchanged = 0;
  let unverified = 0;
  const fresh: string[] = [];
  let commonCases = 0;
  let commonPassed = 0;
  let commonBaselinePassed = 0;
  for (const r of results) {
    if (r.change === 'new') fresh.push(r.name);
    else if (r.baseline) {
      commonCases++;
      if (r.pass) commonPassed++;
      if (r.baseline.pass) commonBaselinePassed++;
    }
    if (r.pass) passed++;
    else if (r.error !== null) errors++;
    if (r.tokens) {
      tokens.input += r.tokens.input;
      tokens.output += r.tokens.output;
      tokens.total += r.tokens.total;
    }
    if (r.error === null || r.repeats) cost = cost === null || r.cost_usd === null ? null : cost + r.cost_usd;
    for (const run of r.repeats ?? [r]) if (run.error === null) latencies.push(run.latency_ms);
    if (r.change === 'regression') regressions.push(r.name);
    else if (r.change === 'improvement') improvements.push(r.name);
    else if (r.change === 'unchanged') unchanged++;
    else if (r.change === 'unknown' && !r.pass) unverified++;
  }
  latencies.sort((a, b) => a - b);
  const cases = results.length;
  const pass_rate = rate(passed, cases);
  let ok = (cases > 0 || h.shard !== null) && regressions.length === 0 && unverified === 0 && !h.interrupted && h.stopped === null && !h.budget_exhausted;
  // a shard's pass rate says nothing about the whole suite's: the minimum is judged on the merge
  if (h.min_pass_rate !== null) ok &&= h.shard !== null || pass_rate >= h.min_pass_rate;
  else if (!baseline) ok &&= passed === cases;
  const b: BaselineSummary | null = baseline
    ? {
        version: baseline.version,
        ...(baseline.sha256 ? { sha256: baseline.sha256 } : {}),
        pass_rate: rate(baseline.passed, baseline.cases),
        passed: baseline.passed,
        cases: baseline.cases,
        common_cases: commonCases,
        common_passed: commonPassed,
        common_baseline_passed: commonBaselinePassed,
        // like for like: a case added (or dropped) changes the overall rates without anything getting better or worse
        delta: Math.round((rate(commonPassed, commonCases) - rate(commonBaselinePassed, commonCases)) * 10000) / 10000,
      }
    : null;
  return {
    ok,
    prompt: h.prompt,
    version: h.version,
    sha256: h.sha256,
    ...(h.resolved_sha256 !== undefined ? { resolved_sha256: h.resolved_sha256 } : {}),
    ...(h.deps !== undefined ? { deps: h.deps } : {}),
    suite_sha256: h.suite_sha256,
    provider: h.provider,
    provider_type: h.provider_type,
    model: h.model,
    parameters: h.parameters,
    config_sha256: h.config_sha256,
    cases,
    passed,
    failed: cases - passed - errors,
    errors,
    pass_rate,
    min_pass_rate: h.min_pass_rate,
    repeat: h.repeat,
    case_pass_rate: h.case_pass_rate,
    regressions,
    improvements,
    unchanged,
    removed,
    new: baseline ? fresh : [],
    baseline: b,
    tokens,
    cost_usd: cost === null ? null : Math.round(cost * 1e8) / 1e8,
    latency: { p50_ms: percentile(latencies, 50), p95_ms: percentile(latencies, 95) },
    started_at: h.started_at,
    duration_ms: h.duration_ms,
    interrupted: h.interrupted,
    stopped: h.stopped,
    budget_exhausted: h.budget_exhausted,
    max_cost_usd: h.max_cost_usd,
    shard: h.shard,
    merged: h.merged,
    results,
  };
}

/** The report of a run, compared per case with the baseline's run when there is one. */
export function buildReport(target: EvalTarget, run: EvalRun, opts: { baseline?: BaselineInfo | null; minPassRate?: number | null; maxCostUsd?: number | null } = {}): EvalReport {
  let results: ReportResult[] = run.results;
  let removed: string[] = [];
  let baseline: { version: string; sha256?: string; passed: number; cases: number } | null = null;
  if (opts.baseline) {
    const cmp = compareResults(run.results, opts.baseline.results);
    const byName = new Map(opts.baseline.results.map((b) => [b.name, b]));
    results = run.results.map((r) => {
      const b = byName.get(r.name);
      return { ...r, change: cmp.change.get(r.name)!, ...(b ? { baseline: { pass: b.pass, error: b.error, output: b.output ?? null } } : {}) };
    });
    const names = new Set(run.results.map((r) => r.name));
    removed = opts.baseline.results.filter((b) => !names.has(b.name)).map((b) => b.name).sort();
    baseline = { version: opts.baseline.version, sha256: opts.baseline.sha256, passed: opts.baseline.results.filter((r) => r.pass).length, cases: opts.baseline.results.length };
  }
  const header: ReportHeader = {
    prompt: target.id,
    version: target.version,
    sha256: target.sha256,
    ...(Object.keys(target.deps ?? {}).length ? { resolved_sha256: target.resolved_sha256, deps: target.deps } : {}),
    suite_sha256: target.suite_sha256,
    provider: run.provider,
    provider_type: run.provider_type,
    model: run.model,
    parameters: run.parameters,
    config_sha256: run.config_sha256 ?? null,
    min_pass_rate: opts.minPassRate ?? null,
    repeat: run.repeat ?? 1,
    case_pass_rate: run.case_pass_rate ?? 1,
    started_at: run.started_at,
    duration_ms: run.duration_ms,
    interrupted: run.interrupted,
    stopped: run.stopped,
    budget_exhausted: run.budget_exhausted ?? false,
    max_cost_usd: opts.maxCostUsd ?? null,
    shard: run.shard ?? null,
    merged: null,
  };
  return finishReport(header, results, baseline, removed);
}

export function summaryOf(report: EvalReport): EvalSummary {
  return {
    pass_rate: report.pass_rate,
    passed: report.passed,
    cases: report.cases,
    suite_sha256: report.suite_sha256,
    regressions: report.regressions.length,
    provider: report.provider,
    model: report.model,
  };
}

/**
 * Where the last report of a version on a provider is kept: `.prompts/evals/<id>/<version>.json`
 * for the provider the version runs on by default (`provider` undefined), else
 * `<version>@<provider>.json` (a provider name that is not a plain file name is replaced by
 * its digest: names come from the config and never become paths).
 */
export function storedReportPath(registry: Registry, id: string, version: string, provider?: string, partial = false): string {
  registry.assertId(id);
  let suffix = '';
  if (provider !== undefined) suffix = `@${/^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/.test(provider) ? provider : `sha256-${sha256(provider).slice(0, 16)}`}`;
  return path.join(registry.stateDir, 'evals', ...id.split('/'), `${version}${suffix}${partial ? '.partial' : ''}.json`);
}

/** An interrupted run (Ctrl-C) or one stopped early (budget, a fatal provider error) did not run the whole suite. */
export function isPartial(report: Pick<EvalReport, 'interrupted' | 'stopped'>): boolean {
  return report.interrupted || report.stopped !== null;
}

/** The provider part of the stored path: undefined for the version's default provider. */
export function storeSlot(registry: Registry, target: EvalTarget, provider: string): string | undefined {
  return provider === chooseProvider(registry, target) ? undefined : provider;
}

/**
 * Keeps a run's report as the last report of its version (on this provider slot). A partial
 * run never replaces the last complete one: it goes to `<version>[@provider].partial.json`
 * beside it (a gate never reads that file); a complete run removes the stale partial one.
 */
export function storeReport(registry: Registry, report: EvalReport, slot?: string): string {
  const partial = isPartial(report);
  const file = storedReportPath(registry, report.prompt, report.version, slot, partial);
  writeStateFile(registry.root, file, `${JSON.stringify(report, null, 2)}\n`);
  if (!partial) fs.rmSync(storedReportPath(registry, report.prompt, report.version, slot, true), { force: true });
  return file;
}

/**
 * The last stored report of a version, or undefined when absent, unreadable, or not one
 * promptrail may trust as its own (committed to git, a symbolic link: registry/state.ts). Its
 * own digests are the gate's to check (eval/evidence.ts).
 */
export function loadStoredReport(registry: Registry, id: string, version: string, slot?: string): EvalReport | undefined {
  const text = readStateText(registry.root, storedReportPath(registry, id, version, slot), trackedStateSync(registry.root));
  if (text === undefined) return undefined;
  try {
    const r = JSON.parse(text) as EvalReport;
    return r && typeof r === 'object' && Array.isArray(r.results) && r.prompt === id && r.version === version ? r : undefined;
  } catch {
    return undefined;
  }
}

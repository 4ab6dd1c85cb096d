/**
 * The eval report (schemas/eval-report.schema.json): built from a run (and optionally a
 * baseline run), stored as the last report of each version under `.prompts/evals/<id>/<version>.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvalSummary } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { writeFileAtomic } from '../registry/files.js';
import type { CaseResult, EvalRun } from './runner.js';
import type { EvalTarget } from './suite.js';

/** `unknown`: the baseline could not evaluate the case (an error), so nothing is known about a change */
export type CaseChange = 'regression' | 'improvement' | 'unchanged' | 'new' | 'unknown';

export interface ReportResult extends CaseResult {
  /** vs the baseline, when there is one */
  change?: CaseChange;
}

export interface EvalReport {
  ok: boolean;
  prompt: string;
  version: string;
  sha256: string;
  suite_sha256: string;
  provider: string;
  provider_type: string;
  model: string;
  /** the model parameters sent (the version's, with an environment's overrides when a gate ran it) */
  parameters?: Record<string, unknown>;
  cases: number;
  passed: number;
  failed: number;
  errors: number;
  pass_rate: number;
  min_pass_rate: number | null;
  regressions: string[];
  improvements: string[];
  unchanged: number;
  baseline: { version: string; pass_rate: number; passed: number; cases: number; delta: number } | null;
  tokens: { input: number; output: number; total: number };
  cost_usd: number | null;
  started_at: string;
  duration_ms: number;
  /** Ctrl-C: `results` holds only the cases that finished */
  interrupted: boolean;
  /** why the run stopped early (circuit breaker, wrong key, …), else null */
  stopped: string | null;
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
    let ch: CaseChange;
    if (b === undefined) ch = 'new';
    else if (b.errored) ch = 'unknown';
    else if (b.pass && !c.pass) ch = 'regression';
    else if (!b.pass && c.pass) ch = 'improvement';
    else ch = 'unchanged';
    out.change.set(c.name, ch);
    if (ch === 'regression') out.regressions.push(c.name);
    else if (ch === 'improvement') out.improvements.push(c.name);
    else if (ch === 'unchanged') out.unchanged++;
    else if (ch === 'unknown' && !c.pass) out.unverified.push(c.name);
  }
  return out;
}

function rate(passed: number, cases: number): number {
  return cases === 0 ? 0 : Math.round((passed / cases) * 10000) / 10000;
}

export interface BaselineInfo {
  version: string;
  results: readonly Pick<CaseResult, 'name' | 'pass' | 'error'>[];
}

/**
 * `ok` is the exit status: no regressions (nor failing cases whose baseline errored), the pass rate at least `minPassRate` when given,
 * and — without a baseline and without a minimum — every case passed. A run that was
 * interrupted or stopped early is never ok.
 */
export function buildReport(target: EvalTarget, run: EvalRun, opts: { baseline?: BaselineInfo | null; minPassRate?: number | null } = {}): EvalReport {
  let passed = 0;
  let errors = 0;
  const tokens = { input: 0, output: 0, total: 0 };
  let cost: number | null = 0;
  for (const r of run.results) {
    if (r.pass) passed++;
    else if (r.error !== null) errors++;
    if (r.tokens) {
      tokens.input += r.tokens.input;
      tokens.output += r.tokens.output;
      tokens.total += r.tokens.total;
    }
    if (r.error === null) cost = cost === null || r.cost_usd === null ? null : cost + r.cost_usd;
  }
  const cases = run.results.length;
  const failed = cases - passed - errors;
  const pass_rate = rate(passed, cases);
  let results: ReportResult[] = run.results;
  let regressions: string[] = [];
  let improvements: string[] = [];
  let unchanged = 0;
  let unverified: string[] = [];
  let baseline: EvalReport['baseline'] = null;
  if (opts.baseline) {
    const cmp = compareResults(run.results, opts.baseline.results);
    regressions = cmp.regressions;
    improvements = cmp.improvements;
    unchanged = cmp.unchanged;
    unverified = cmp.unverified;
    results = run.results.map((r) => ({ ...r, change: cmp.change.get(r.name)! }));
    const bPassed = opts.baseline.results.filter((r) => r.pass).length;
    const bCases = opts.baseline.results.length;
    const bRate = rate(bPassed, bCases);
    baseline = { version: opts.baseline.version, pass_rate: bRate, passed: bPassed, cases: bCases, delta: Math.round((pass_rate - bRate) * 10000) / 10000 };
  }
  const min = opts.minPassRate ?? null;
  // a failing case whose baseline errored may be a regression nobody could check: not ok
  // no case applied: nothing was checked, which must not read as a pass in CI (the gate refuses it too)
  let ok = cases > 0 && regressions.length === 0 && unverified.length === 0 && !run.interrupted && run.stopped === null;
  if (min !== null) ok &&= pass_rate >= min;
  else if (!opts.baseline) ok &&= passed === cases;
  return {
    ok,
    prompt: target.id,
    version: target.version,
    sha256: target.sha256,
    suite_sha256: target.suite_sha256,
    provider: run.provider,
    provider_type: run.provider_type,
    model: run.model,
    parameters: run.parameters,
    cases,
    passed,
    failed,
    errors,
    pass_rate,
    min_pass_rate: min,
    regressions,
    improvements,
    unchanged,
    baseline,
    tokens,
    cost_usd: cost === null ? null : Math.round(cost * 1e8) / 1e8,
    started_at: run.started_at,
    duration_ms: run.duration_ms,
    interrupted: run.interrupted,
    stopped: run.stopped,
    results,
  };
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

export function storedReportPath(registry: Registry, id: string, version: string): string {
  registry.assertId(id);
  return path.join(registry.stateDir, 'evals', ...id.split('/'), `${version}.json`);
}

export function storeReport(registry: Registry, report: EvalReport): string {
  const file = storedReportPath(registry, report.prompt, report.version);
  writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** The last stored report of a version, or undefined when absent or unreadable. */
export function loadStoredReport(registry: Registry, id: string, version: string): EvalReport | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(storedReportPath(registry, id, version), 'utf8')) as EvalReport;
    return r && typeof r === 'object' && Array.isArray(r.results) ? r : undefined;
  } catch {
    return undefined;
  }
}

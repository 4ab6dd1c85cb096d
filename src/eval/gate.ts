/**
 * The promotion gate: the one interface between `promote` (environments) and the eval runner.
 * `promote` calls `runGate` for an environment that has a `gate` in the config. It runs the
 * suite on the version as the environment runs it (its `overrides.model` applied, the suite's
 * repeat policy), or uses a report that is evidence for exactly that (evidence.ts): the stored
 * report of the last run, or the file given with `promote --report` (a CI's merged shards),
 * recorded in the summary by its sha256. It enforces `min_pass_rate`, and with `no_regressions`
 * compares per case against the version pinned in the target environment now (run with the
 * same overrides).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Registry } from '../registry/registry.js';
import { UsageError } from '../errors.js';
import { applyOverrides } from '../core/render.js';
import type { EvalSummary, GateConfig } from '../core/types.js';
import type { CommandContext } from '../cli/ui.js';
import { buildReport, compareResults, loadStoredReport, storeReport, storeSlot, summaryOf, type EvalReport } from './report.js';
import { chooseProvider, runEval } from './runner.js';
import { loadEvalTarget, repeatPolicy, SuiteMissing, type EvalTarget } from './suite.js';
import { evidenceProblems, evidenceSpec, loadEvidence, type Evidence, type EvidenceSpec } from './evidence.js';

export interface GateInput {
  registry: Registry;
  id: string;
  /** the version being promoted */
  version: string;
  /** the target environment */
  env: string;
  gate: GateConfig;
  /** the version pinned in the target environment now (the no_regressions baseline), or null */
  baselineVersion: string | null;
  /** `promote --report <file>`: an eval report to verify and use instead of running the suite */
  reportFile?: string;
  /** for progress/messages on stderr; may be undefined when called from the library */
  ctx?: CommandContext;
}

export interface GateOutcome {
  passed: boolean;
  /** recorded in the environment entry (`eval:`) and the commit body */
  summary: EvalSummary;
  /** one line per reason the gate refused: failed cases, regressions, pass rate below the gate */
  failures: string[];
}

export class GateUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateUnavailable';
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/**
 * A stored report is reused only when it is evidence for exactly this evaluation: these bytes,
 * this provider, model, parameters and provider config, complete and without errored cases.
 */
export function reusable(r: EvalReport | undefined, spec: EvidenceSpec): r is EvalReport {
  return r !== undefined && evidenceProblems(r, spec).length === 0;
}

/** The gate evaluates what the environment will run: its `overrides.model` applied to the version's model. */
export function inEnvironment(registry: Registry, env: string, target: EvalTarget): EvalTarget {
  const model = applyOverrides(target.prompt.model, registry.config.environments[env]);
  return { ...target, prompt: { ...target.prompt, model } };
}

async function evaluate(input: GateInput, spec: EvidenceSpec): Promise<EvalReport> {
  const { target, provider, policy } = spec;
  const slot = storeSlot(input.registry, target, provider);
  const stored = loadStoredReport(input.registry, target.id, target.version, slot);
  if (reusable(stored, spec)) {
    input.ctx?.info(`gate: reusing the stored eval of ${target.id}@${target.version} (${stored.passed}/${stored.cases} passed, ${stored.started_at})`);
    return stored;
  }
  input.ctx?.info(`gate: evaluating ${target.id}@${target.version} with provider "${provider}" (${target.cases.length} cases${policy.repeat > 1 ? ` × ${policy.repeat} runs` : ''})…`);
  let run;
  try {
    run = await runEval({ registry: input.registry, target, provider, env: input.ctx?.env ?? process.env, repeat: policy.repeat, casePassRate: policy.case_pass_rate });
  } catch (e) {
    // the eval's own hint ("run with --replay") names a flag promote does not have
    if (e instanceof UsageError && e.hint?.includes('--replay')) {
      throw new UsageError(e.message, { location: e.location, cause: e, hint: e.hint.replace(/run with --replay to use recorded responses/, `bypass the gate of "${input.env}" with --skip-eval --reason <text> (recorded)`) });
    }
    throw e;
  }
  const report = buildReport(target, run);
  if (!run.interrupted && run.stopped === null) storeReport(input.registry, report, slot);
  return report;
}

/** Is `abs` a file git tracks in the repository of `root`? (Committed files are never evidence.) */
async function trackedByGit(root: string, abs: string): Promise<boolean> {
  const { repoInfo, pathStates } = await import('../git/repo.js');
  const info = await repoInfo(root);
  if (!info) return false;
  let real = abs;
  try {
    real = fs.realpathSync(abs);
  } catch {}
  const rel = path.relative(info.top, real);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return false;
  const posix = rel.split(path.sep).join('/');
  const st = (await pathStates(info.top, [posix])).get(posix);
  return st === 'clean' || st === 'modified';
}

/** Why a case failed; for a repeated case, how many of its runs passed against the rate it needed. */
function whyFailed(r: EvalReport['results'][number], casePassRate: number): string {
  const why = r.error ?? r.assertions.find((a) => !a.pass)?.message ?? 'failed';
  return r.runs !== undefined ? `passed ${r.runs_passed}/${r.runs} runs (${pct(r.pass_rate ?? 0)}, needs ${pct(casePassRate)}); ${why}` : why;
}

export async function runGate(input: GateInput): Promise<GateOutcome> {
  const { registry, id, version, gate } = input;
  let target: EvalTarget;
  try {
    target = inEnvironment(registry, input.env, loadEvalTarget(registry, id, version));
  } catch (e) {
    if (e instanceof SuiteMissing) {
      throw new GateUnavailable(
        `environment "${input.env}" has a gate, but prompt "${id}" has no eval suite: add ${e.rel} (cases with assertions), or promote with --skip-eval --reason <text>`,
      );
    }
    throw e;
  }
  const provider = gate.provider ?? chooseProvider(registry, target);
  const policy = repeatPolicy(target.suite);
  const spec = evidenceSpec(registry, target, provider, policy);
  let evidence: Evidence | undefined;
  if (input.reportFile !== undefined) {
    evidence = await loadEvidence(registry, input.ctx?.cwd ?? registry.root, input.reportFile, spec, { tracked: (abs) => trackedByGit(registry.root, abs) });
    const r = evidence.report;
    input.ctx?.info(`gate: using --report ${input.reportFile} (sha256 ${evidence.sha256.slice(0, 12)}${r.merged ? `, merged from ${r.merged.shards} shards` : ''}): ${r.passed}/${r.cases} passed, ${r.started_at}`);
  }
  const report = evidence?.report ?? (await evaluate(input, spec));
  const failures: string[] = [];
  let regressions: string[] = [];
  const failText = (r: EvalReport['results'][number]): string => whyFailed(r, report.case_pass_rate ?? 1);

  if (report.stopped !== null) failures.push(`the eval stopped early: ${report.stopped}`);
  if (report.cases === 0) failures.push(`the suite has no cases that apply to ${id}@${version}`);
  else if (report.errors === report.cases) {
    failures.push(`no case could be evaluated: ${report.results[0]?.error ?? 'error'}`);
  }
  if (gate.min_pass_rate !== undefined && report.pass_rate < gate.min_pass_rate) {
    failures.push(`pass rate ${pct(report.pass_rate)} (${report.passed}/${report.cases}) is below the gate's min_pass_rate ${pct(gate.min_pass_rate)}`);
    for (const r of report.results) {
      if (r.pass) continue;
      failures.push(`case "${r.name}" failed: ${failText(r)}`);
    }
  }
  if (gate.no_regressions && input.baselineVersion !== null && input.baselineVersion !== version) {
    const bTarget = inEnvironment(registry, input.env, loadEvalTarget(registry, id, input.baselineVersion));
    let changes: { regressions: string[]; unverified: string[]; baselineError: (name: string) => string };
    // a --report that compared with this very baseline (same bytes) already holds the comparison
    if (evidence && report.baseline?.version === input.baselineVersion && report.baseline.sha256 === bTarget.sha256) {
      changes = {
        regressions: report.results.filter((r) => r.change === 'regression').map((r) => r.name),
        unverified: report.results.filter((r) => r.change === 'unknown' && !r.pass).map((r) => r.name),
        baselineError: (name) => report.results.find((x) => x.name === name)?.baseline?.error ?? 'error',
      };
    } else {
      const bReport = await evaluate(input, evidenceSpec(registry, bTarget, provider, policy));
      const cmp = compareResults(report.results, bReport.results);
      changes = { regressions: cmp.regressions, unverified: cmp.unverified, baselineError: (name) => bReport.results.find((x) => x.name === name)?.error ?? 'error' };
    }
    regressions = changes.regressions;
    for (const name of regressions) {
      const r = report.results.find((x) => x.name === name);
      failures.push(`regression: case "${name}" passes on ${input.baselineVersion} but fails on ${version}: ${r ? failText(r) : 'failed'}`);
    }
    for (const name of changes.unverified) {
      failures.push(`case "${name}" fails on ${version} and could not be evaluated on ${input.baselineVersion} (${changes.baselineError(name)}): no_regressions cannot be checked`);
    }
  }
  const summary: EvalSummary = { ...summaryOf(report), regressions: regressions.length };
  if (evidence) {
    summary.report_sha256 = evidence.sha256;
    if (report.merged) summary.shards = report.merged.shards;
  }
  return { passed: failures.length === 0, summary, failures };
}

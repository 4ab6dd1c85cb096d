/**
 * The promotion gate: the one interface between `promote` (environments) and the eval runner.
 * `promote` calls `runGate` for an environment that has a `gate` in the config. It runs the
 * suite on the version as the environment runs it (its `overrides.model` applied, the suite's
 * repeat policy), or uses a report that is evidence for exactly that (evidence.ts): the stored
 * report of the last run, or the file given with `promote --report` (a CI's merged shards),
 * recorded in the summary by its sha256. With `no_regressions` it compares per case against the
 * version pinned in the target environment now (run with the same overrides). The verdict on
 * that evidence (min_pass_rate, regressions, …) is core/gate.ts's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Registry } from '../registry/registry.js';
import { UsageError } from '../errors.js';
import { applyOverrides } from '../core/render.js';
import type { EvalSummary, GateConfig } from '../core/types.js';
import { judgeGate, needsBaseline, percent as pct, type CaseEvidence, type GateEvidence, type GateOutcome } from '../core/gate.js';
import type { RunContext } from '../context.js';
import { buildReport, compareResults, loadStoredReport, storeReport, storeSlot, summaryOf, type EvalReport } from './report.js';
import { chooseProvider, runEval } from './runner.js';
import { loadEvalTarget, repeatPolicy, SuiteMissing, type EvalTarget } from './suite.js';
import { trackedState } from '../registry/state.js';
import { evidenceProblems, evidenceSpec, loadEvidence, type Evidence, type EvidenceSpec } from './evidence.js';
import { own } from '../core/own.js';

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
  /** for progress/messages on stderr (and the folder a relative --report is read from); may be undefined when called from the library */
  ctx?: RunContext;
  /** Ctrl-C: stops the gate's requests at once; runGate then throws GateInterrupted */
  signal?: AbortSignal;
}

/** The gate was interrupted (Ctrl-C): nothing is decided, nothing is written. */
export class GateInterrupted extends Error {
  constructor() {
    super('interrupted');
    this.name = 'GateInterrupted';
  }
}

export type { GateOutcome };

export class GateUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GateUnavailable';
  }
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
  const model = applyOverrides(target.prompt.model, own(registry.config.environments, env));
  return { ...target, prompt: { ...target.prompt, model } };
}

async function evaluate(input: GateInput, spec: EvidenceSpec): Promise<EvalReport> {
  const { target, provider, policy } = spec;
  const slot = storeSlot(input.registry, target, provider);
  await trackedState(input.registry.root); // what git tracks under .prompts/ is never evidence
  const stored = loadStoredReport(input.registry, target.id, target.version, slot);
  if (reusable(stored, spec)) {
    input.ctx?.info(`gate: reusing the stored eval of ${target.id}@${target.version} (${stored.passed}/${stored.cases} passed, ${stored.started_at})`);
    return stored;
  }
  input.ctx?.info(`gate: evaluating ${target.id}@${target.version} with provider "${provider}" (${target.cases.length} cases${policy.repeat > 1 ? ` × ${policy.repeat} runs` : ''})…`);
  let run;
  try {
    run = await runEval({ registry: input.registry, target, provider, env: input.ctx?.env ?? process.env, repeat: policy.repeat, casePassRate: policy.case_pass_rate, signal: input.signal });
  } catch (e) {
    // the eval's own hint ("run with --replay") names a flag promote does not have
    if (e instanceof UsageError && e.hint?.includes('--replay')) {
      throw new UsageError(e.message, { location: e.location, cause: e, hint: e.hint.replace(/run with --replay to use recorded responses/, `bypass the gate of "${input.env}" with --skip-eval --reason <text> (recorded)`) });
    }
    throw e;
  }
  if (run.interrupted || input.signal?.aborted) throw new GateInterrupted();
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
  const failText = (r: EvalReport['results'][number]): string => whyFailed(r, report.case_pass_rate ?? 1);
  const results: CaseEvidence[] = report.results.map((r) => ({ name: r.name, pass: r.pass, why: r.pass ? null : failText(r) }));
  const facts: GateEvidence = {
    id,
    version,
    pass_rate: report.pass_rate,
    passed: report.passed,
    cases: report.cases,
    errors: report.errors,
    stopped: report.stopped,
    firstError: report.results[0]?.error ?? null,
    results,
  };
  if (needsBaseline(gate, input.baselineVersion, version)) {
    const bTarget = inEnvironment(registry, input.env, loadEvalTarget(registry, id, input.baselineVersion));
    // a --report that compared with this very baseline (same bytes) already holds the comparison
    if (evidence && report.baseline?.version === input.baselineVersion && report.baseline.sha256 === bTarget.sha256) {
      facts.baseline = {
        version: input.baselineVersion,
        regressions: report.results.filter((r) => r.change === 'regression').map((r) => r.name),
        unverified: report.results.filter((r) => r.change === 'unknown' && !r.pass).map((r) => ({ name: r.name, error: r.baseline?.error ?? null })),
      };
    } else {
      const bReport = await evaluate(input, evidenceSpec(registry, bTarget, provider, policy));
      const cmp = compareResults(report.results, bReport.results);
      facts.baseline = {
        version: input.baselineVersion,
        regressions: cmp.regressions,
        unverified: cmp.unverified.map((name) => ({ name, error: bReport.results.find((x) => x.name === name)?.error ?? null })),
      };
    }
  }
  const { passed, failures } = judgeGate(gate, facts);
  const regressions = facts.baseline?.regressions ?? [];
  const summary: EvalSummary = { ...summaryOf(report), regressions: regressions.length };
  if (evidence) {
    summary.report_sha256 = evidence.sha256;
    if (report.merged) summary.shards = report.merged.shards;
  }
  return { passed, summary, failures };
}

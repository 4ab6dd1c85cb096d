/**
 * The promotion gate: the one interface between `promote` (environments) and the eval runner.
 * `promote` calls `runGate` for an environment that has a `gate` in the config. It runs the
 * suite on the version as the environment runs it (its `overrides.model` applied), or reuses a
 * stored report whose prompt sha256, suite sha256, provider, model and parameters all match;
 * enforces `min_pass_rate`, and with `no_regressions` compares per case against the version
 * pinned in the target environment now (run with the same overrides).
 */
import type { Registry } from '../registry/registry.js';
import { UsageError } from '../errors.js';
import { applyOverrides } from '../core/render.js';
import type { EvalSummary, GateConfig } from '../core/types.js';
import type { CommandContext } from '../cli/ui.js';
import { buildReport, compareResults, loadStoredReport, storeReport, summaryOf, type EvalReport } from './report.js';
import { chooseProvider, runEval } from './runner.js';
import { loadEvalTarget, SuiteMissing, type EvalTarget } from './suite.js';

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

/** Key order does not matter when comparing parameters. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

/**
 * A stored report is reused only when it evaluated exactly these bytes with this provider, model
 * and parameters (the environment's overrides applied), completely and without errored cases.
 */
export function reusable(r: EvalReport | undefined, target: EvalTarget, provider: string): r is EvalReport {
  return (
    r !== undefined &&
    r.sha256 === target.sha256 &&
    r.suite_sha256 === target.suite_sha256 &&
    r.provider === provider &&
    r.model === target.prompt.model.name &&
    r.parameters !== undefined &&
    canonical(r.parameters) === canonical(target.prompt.model.parameters ?? {}) &&
    !r.interrupted &&
    r.stopped === null &&
    // a case without an answer (a 500 that outlived the retries, a --replay run without its
    // recording) is asked again rather than carried into the gate
    r.errors === 0
  );
}

/** The gate evaluates what the environment will run: its `overrides.model` applied to the version's model. */
export function inEnvironment(registry: Registry, env: string, target: EvalTarget): EvalTarget {
  const model = applyOverrides(target.prompt.model, registry.config.environments[env]);
  return { ...target, prompt: { ...target.prompt, model } };
}

async function evaluate(input: GateInput, target: EvalTarget, provider: string): Promise<EvalReport> {
  const stored = loadStoredReport(input.registry, target.id, target.version);
  if (reusable(stored, target, provider)) {
    input.ctx?.info(`gate: reusing the stored eval of ${target.id}@${target.version} (${stored.passed}/${stored.cases} passed, ${stored.started_at})`);
    return stored;
  }
  input.ctx?.info(`gate: evaluating ${target.id}@${target.version} with provider "${provider}" (${target.cases.length} cases)…`);
  let run;
  try {
    run = await runEval({ registry: input.registry, target, provider, env: input.ctx?.env ?? process.env });
  } catch (e) {
    // the eval's own hint ("run with --replay") names a flag promote does not have
    if (e instanceof UsageError && e.hint?.includes('--replay')) {
      throw new UsageError(e.message, { location: e.location, cause: e, hint: e.hint.replace(/run with --replay to use recorded responses/, `bypass the gate of "${input.env}" with --skip-eval --reason <text> (recorded)`) });
    }
    throw e;
  }
  const report = buildReport(target, run);
  if (!run.interrupted && run.stopped === null) storeReport(input.registry, report);
  return report;
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
  const report = await evaluate(input, target, provider);
  const failures: string[] = [];
  let regressions: string[] = [];

  if (report.stopped !== null) failures.push(`the eval stopped early: ${report.stopped}`);
  if (report.cases === 0) failures.push(`the suite has no cases that apply to ${id}@${version}`);
  else if (report.errors === report.cases) {
    failures.push(`no case could be evaluated: ${report.results[0]?.error ?? 'error'}`);
  }
  if (gate.min_pass_rate !== undefined && report.pass_rate < gate.min_pass_rate) {
    failures.push(`pass rate ${pct(report.pass_rate)} (${report.passed}/${report.cases}) is below the gate's min_pass_rate ${pct(gate.min_pass_rate)}`);
    for (const r of report.results) {
      if (r.pass) continue;
      const why = r.error ?? r.assertions.find((a) => !a.pass)?.message ?? 'failed';
      failures.push(`case "${r.name}" failed: ${why}`);
    }
  }
  if (gate.no_regressions && input.baselineVersion !== null && input.baselineVersion !== version) {
    const bTarget = inEnvironment(registry, input.env, loadEvalTarget(registry, id, input.baselineVersion));
    const bReport = await evaluate(input, bTarget, provider);
    const cmp = compareResults(report.results, bReport.results);
    regressions = cmp.regressions;
    for (const name of regressions) {
      const r = report.results.find((x) => x.name === name);
      const why = r?.error ?? r?.assertions.find((a) => !a.pass)?.message ?? 'failed';
      failures.push(`regression: case "${name}" passes on ${input.baselineVersion} but fails on ${version}: ${why}`);
    }
    for (const name of cmp.unverified) {
      const b = bReport.results.find((x) => x.name === name);
      failures.push(`case "${name}" fails on ${version} and could not be evaluated on ${input.baselineVersion} (${b?.error ?? 'error'}): no_regressions cannot be checked`);
    }
  }
  const summary: EvalSummary = { ...summaryOf(report), regressions: regressions.length };
  return { passed: failures.length === 0, summary, failures };
}

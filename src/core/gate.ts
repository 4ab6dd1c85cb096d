/**
 * The gate's verdict (SPEC §5 `gate`): given what an eval found, does the version pass the
 * environment's gate, and if not, every reason why. Pure: the eval runner (eval/gate.ts) gathers
 * the evidence, `promote` turns a failed verdict into its refusal.
 */
import type { EvalSummary, GateConfig } from './types.js';

export interface CaseEvidence {
  name: string;
  pass: boolean;
  /** why it failed: its error, or its first failing assertion's message (null when it passed) */
  why: string | null;
}

export interface GateEvidence {
  id: string;
  version: string;
  pass_rate: number;
  passed: number;
  cases: number;
  /** cases that could not be evaluated (provider errors that outlived the retries) */
  errors: number;
  /** why the eval stopped before the end, or null */
  stopped: string | null;
  /** the first case's error, when it has one (named when no case could be evaluated) */
  firstError: string | null;
  results: CaseEvidence[];
  /** the comparison with the version pinned now, when `no_regressions` asked for one */
  baseline?: {
    version: string;
    /** cases passing on the baseline and failing on `version` */
    regressions: string[];
    /** cases failing on `version` that could not be evaluated on the baseline, with its error */
    unverified: { name: string; error: string | null }[];
  };
}

export interface GateVerdict {
  passed: boolean;
  /** one line per reason the gate refused */
  failures: string[];
}

/** The outcome promote records: the verdict plus the summary written into the pin. */
export interface GateOutcome extends GateVerdict {
  summary: EvalSummary;
}

/** 0.956 → "95.6%" */
export const percent = (x: number): string => `${(x * 100).toFixed(1)}%`;
const pct = percent;

/** Does the gate need a run of the version pinned now (no_regressions against a different version)? */
export function needsBaseline(gate: GateConfig, baselineVersion: string | null, version: string): baselineVersion is string {
  return Boolean(gate.no_regressions) && baselineVersion !== null && baselineVersion !== version;
}

export function judgeGate(gate: GateConfig, ev: GateEvidence): GateVerdict {
  const failures: string[] = [];
  if (ev.stopped !== null) failures.push(`the eval stopped early: ${ev.stopped}`);
  if (ev.cases === 0) failures.push(`the suite has no cases that apply to ${ev.id}@${ev.version}`);
  else if (ev.errors === ev.cases) failures.push(`no case could be evaluated: ${ev.firstError ?? 'error'}`);
  if (gate.min_pass_rate !== undefined && ev.pass_rate < gate.min_pass_rate) {
    failures.push(`pass rate ${pct(ev.pass_rate)} (${ev.passed}/${ev.cases}) is below the gate's min_pass_rate ${pct(gate.min_pass_rate)}`);
    for (const r of ev.results) if (!r.pass) failures.push(`case "${r.name}" failed: ${r.why ?? 'failed'}`);
  }
  if (ev.baseline && gate.no_regressions) {
    const b = ev.baseline;
    for (const name of b.regressions) {
      const why = ev.results.find((x) => x.name === name)?.why ?? 'failed';
      failures.push(`regression: case "${name}" passes on ${b.version} but fails on ${ev.version}: ${why}`);
    }
    for (const u of b.unverified) {
      failures.push(`case "${u.name}" fails on ${ev.version} and could not be evaluated on ${b.version} (${u.error ?? 'error'}): no_regressions cannot be checked`);
    }
  }
  return { passed: failures.length === 0, failures };
}

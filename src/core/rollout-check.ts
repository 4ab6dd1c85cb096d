/**
 * `rollout check` as a pure verdict (SPEC §12): given the two arms' metrics over the window, the
 * environment's criteria and the clock, `advance | hold | complete | abort` and every number
 * behind it. In order:
 *
 * 1. `min_requests` per arm (the stable arm is not required at 100 %, where it gets no keys):
 *    too few → hold. Nothing is judged on too little traffic.
 * 2. `abort_when`: any condition that holds → abort (no stage duration waits for an abort).
 * 3. `min_stage_duration` since the weight was last set: not yet → hold.
 * 4. `advance_when`: every condition must hold (one that cannot be computed holds nothing) → else hold.
 * 5. advance to the next stage, or complete when there is none (or it is 100 %: at 100 % the
 *    stable arm gets no traffic to compare with, so the last step is the completion itself).
 *
 * Metrics of one arm: requests, errors, error_rate (errors / requests), p95_latency_ms, cost_usd,
 * cost_per_request (cost_usd / requests), quality. `<m>_delta` is candidate − stable,
 * `<m>_delta_pct` is that difference in percent of stable (0 when both are 0; not computable when
 * only stable is 0).
 */
import { nextStage } from './rollout.js';
import type { RolloutConfig, RolloutState } from './types.js';

export const ARM_METRICS = ['requests', 'errors', 'error_rate', 'p95_latency_ms', 'cost_usd', 'cost_per_request', 'quality'] as const;
export type ArmMetric = (typeof ARM_METRICS)[number];

/** What a source measured for one arm (null: not measured / no data). */
export interface MeasuredArm {
  requests: number | null;
  errors: number | null;
  p95_latency_ms: number | null;
  cost_usd: number | null;
  quality: number | null;
}

export type DerivedArm = Record<ArmMetric, number | null>;

export type Verdict = 'advance' | 'hold' | 'complete' | 'abort';

export type Op = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Condition {
  metric: string;
  op: Op;
  value: number;
}

export interface CriterionResult {
  kind: 'abort_when' | 'advance_when';
  metric: string;
  /** "> 0.02" */
  condition: string;
  /** the metric's value; null when it could not be computed */
  actual: number | null;
  /** null: could not be judged */
  holds: boolean | null;
}

export interface CheckInput {
  id: string;
  env: string;
  stable: string;
  rollout: Pick<RolloutState, 'version' | 'weight' | 'stages' | 'updated_at'>;
  config: RolloutConfig;
  /** what the metrics came from, for the report ("prometheus http://…", "file m.json") */
  source: string;
  window: string;
  /** null: the source has nothing for that arm */
  stableArm: MeasuredArm | null;
  candidateArm: MeasuredArm | null;
  /** ISO time of the check */
  now: string;
}

export interface CheckResult {
  id: string;
  env: string;
  stable: string;
  candidate: string;
  weight: number;
  verdict: Verdict;
  /** the weight the verdict moves to (advance: the next stage, complete: 100, abort: 0; hold: null) */
  to: number | null;
  /** why, one line each; the first is the headline */
  reasons: string[];
  source: string;
  window: string;
  arms: { stable: DerivedArm; candidate: DerivedArm };
  deltas: Record<string, number | null>;
  min_requests: { required: number; stable: number | null; candidate: number | null; met: boolean };
  min_stage_duration: { required: string | null; since: string; elapsed_s: number; met: boolean };
  criteria: CriterionResult[];
}

const COND = /^ *(<=|>=|==|!=|<|>) *(-?[0-9]+(?:\.[0-9]+)?) *$/;
const METRIC = /^(requests|errors|error_rate|p95_latency_ms|cost_usd|cost_per_request|quality)(_delta|_delta_pct)?$/;

/** A criterion of the config ("error_rate_delta", "> 0.01"), or why it is not one. */
export function parseCondition(metric: string, text: string): Condition | string {
  if (!METRIC.test(metric)) return `unknown metric "${metric}" (metrics: ${ARM_METRICS.join(', ')}, each also with _delta and _delta_pct)`;
  const m = COND.exec(text);
  if (!m) return `"${text}" is not a condition like "<= 0.01" (operators: < <= > >= == !=)`;
  return { metric, op: m[1] as Op, value: Number(m[2]) };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** "1h30m" → 5400000, or null when it is not a duration. */
export function durationMs(text: string): number | null {
  if (!/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(text)) return null;
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d|w|y)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return ms;
}

export function deriveArm(a: MeasuredArm | null): DerivedArm {
  const requests = a?.requests ?? null;
  const per = (x: number | null | undefined): number | null => (x === null || x === undefined || requests === null || requests <= 0 ? null : x / requests);
  return {
    requests,
    errors: a?.errors ?? null,
    error_rate: per(a?.errors),
    p95_latency_ms: a?.p95_latency_ms ?? null,
    cost_usd: a?.cost_usd ?? null,
    cost_per_request: per(a?.cost_usd),
    quality: a?.quality ?? null,
  };
}

/** A metric's value for the candidate: its own, or its delta / delta in percent against stable. */
export function metricValue(metric: string, stable: DerivedArm, candidate: DerivedArm): number | null {
  const m = METRIC.exec(metric);
  if (!m) return null;
  const base = m[1] as ArmMetric;
  const c = candidate[base];
  if (!m[2]) return c;
  const s = stable[base];
  if (c === null || s === null) return null;
  if (m[2] === '_delta') return c - s;
  if (s === 0) return c === 0 ? 0 : null;
  return ((c - s) / Math.abs(s)) * 100;
}

function holds(op: Op, a: number, b: number): boolean {
  switch (op) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
}

/** Short numbers for reasons: 0.0312, 1250, 12.5 */
export function num(x: number | null): string {
  if (x === null) return 'n/a';
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 1 ? String(Number(x.toFixed(3))) : String(Number(x.toPrecision(3)));
}

function judge(kind: CriterionResult['kind'], criteria: Record<string, string> | undefined, stable: DerivedArm, candidate: DerivedArm): CriterionResult[] {
  const out: CriterionResult[] = [];
  for (const [metric, text] of Object.entries(criteria ?? {})) {
    const c = parseCondition(metric, text);
    if (typeof c === 'string') throw new Error(`${kind}.${metric}: ${c}`);
    const actual = metricValue(metric, stable, candidate);
    out.push({ kind, metric, condition: `${c.op} ${c.value}`, actual, holds: actual === null ? null : holds(c.op, actual, c.value) });
  }
  return out;
}

export function checkRollout(input: CheckInput): CheckResult {
  const { rollout, config } = input;
  const stable = deriveArm(input.stableArm);
  const candidate = deriveArm(input.candidateArm);
  const deltas: Record<string, number | null> = {};
  for (const m of ARM_METRICS) {
    deltas[`${m}_delta`] = metricValue(`${m}_delta`, stable, candidate);
    deltas[`${m}_delta_pct`] = metricValue(`${m}_delta_pct`, stable, candidate);
  }
  const required = config.min_requests ?? 0;
  const stableNeeded = rollout.weight < 100;
  const enough = (n: number | null): boolean => n !== null && n >= required && n > 0;
  const minReq = { required, stable: stable.requests, candidate: candidate.requests, met: enough(candidate.requests) && (!stableNeeded || enough(stable.requests)) };
  const since = rollout.updated_at;
  const elapsedMs = Math.max(0, Date.parse(input.now) - Date.parse(since));
  const minDur = config.min_stage_duration ?? null;
  const minDurMs = minDur === null ? 0 : (durationMs(minDur) ?? 0);
  const stage = { required: minDur, since, elapsed_s: Math.floor(elapsedMs / 1000), met: elapsedMs >= minDurMs };
  const criteria = [...judge('abort_when', config.abort_when, stable, candidate), ...judge('advance_when', config.advance_when, stable, candidate)];
  const base = { id: input.id, env: input.env, stable: input.stable, candidate: rollout.version, weight: rollout.weight, source: input.source, window: input.window, arms: { stable, candidate }, deltas, min_requests: minReq, min_stage_duration: stage, criteria };
  const verdict = (v: Verdict, to: number | null, reasons: string[]): CheckResult => ({ ...base, verdict: v, to, reasons });

  if (rollout.weight === 0) return verdict('hold', null, [`the candidate gets no keys at 0%: set a weight ("prompts rollout set ${input.id} --env ${input.env} --weight <percent>")`]);
  if (!minReq.met) {
    const lacking: string[] = [];
    if (!enough(candidate.requests)) lacking.push(`candidate ${rollout.version} ${candidate.requests === null ? 'has no data' : `has ${num(candidate.requests)} requests`}`);
    if (stableNeeded && !enough(stable.requests)) lacking.push(`stable ${input.stable} ${stable.requests === null ? 'has no data' : `has ${num(stable.requests)} requests`}`);
    return verdict('hold', null, [`not enough traffic to judge in the last ${input.window}: ${lacking.join(', ')} (min_requests ${required} per arm)`]);
  }
  const aborts = criteria.filter((c) => c.kind === 'abort_when' && c.holds === true);
  if (aborts.length) return verdict('abort', 0, aborts.map((c) => `${c.metric} ${num(c.actual)} ${c.condition} (abort_when)`));
  if (!stage.met) {
    const left = Math.ceil((minDurMs - elapsedMs) / 60_000);
    return verdict('hold', null, [`the stage at ${rollout.weight}% started ${since}: min_stage_duration ${minDur} not reached (${left} min left)`]);
  }
  const advance = criteria.filter((c) => c.kind === 'advance_when');
  const failing = advance.filter((c) => c.holds !== true);
  if (failing.length) {
    return verdict('hold', null, failing.map((c) => (c.holds === null ? `${c.metric} cannot be computed from the metrics (advance_when ${c.condition})` : `${c.metric} ${num(c.actual)} is not ${c.condition} (advance_when)`)));
  }
  const unknownAborts = criteria.filter((c) => c.kind === 'abort_when' && c.holds === null);
  const ok = [
    advance.length ? `advance_when holds: ${advance.map((c) => `${c.metric} ${num(c.actual)} ${c.condition}`).join(', ')}` : 'no advance_when criteria; no abort_when criterion holds',
    ...unknownAborts.map((c) => `note: abort_when ${c.metric} ${c.condition} could not be computed`),
  ];
  const next = nextStage(rollout);
  if (next === null || next >= 100) return verdict('complete', 100, [`${rollout.stages ? 'the last stage passed' : 'no stages: the rollout is judged once'}: complete ${rollout.version}`, ...ok]);
  return verdict('advance', next, [`advance ${rollout.weight}% -> ${next}%`, ...ok]);
}

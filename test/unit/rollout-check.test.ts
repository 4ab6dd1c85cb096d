/**
 * `rollout check`'s verdict (core/rollout-check.ts) for every criterion, and the PromQL templates
 * (core/promql.ts): placeholders filled as data, escaped for the string they sit in, never a way
 * out of it.
 */
import { describe, it, expect } from 'vitest';
import { checkRollout, deriveArm, durationMs, metricValue, parseCondition, type CheckInput, type MeasuredArm } from '../../src/core/rollout-check.js';
import { armQueries, DEFAULT_QUERIES, escapePromqlString, fillQuery, QueryTemplateError } from '../../src/core/promql.js';
import type { RolloutConfig } from '../../src/core/types.js';

const arm = (o: Partial<MeasuredArm>): MeasuredArm => ({ requests: null, errors: null, p95_latency_ms: null, cost_usd: null, quality: null, ...o });
const HEALTHY_STABLE = arm({ requests: 1000, errors: 5, p95_latency_ms: 900, cost_usd: 1.0, quality: 0.9 });
const HEALTHY_CANDIDATE = arm({ requests: 600, errors: 3, p95_latency_ms: 950, cost_usd: 0.66, quality: 0.92 });
const CONFIG: RolloutConfig = {
  min_requests: 500,
  min_stage_duration: '2h',
  advance_when: { error_rate: '<= 0.01', p95_latency_ms: '<= 3000' },
  abort_when: { error_rate: '> 0.02', error_rate_delta: '> 0.01', cost_per_request_delta_pct: '> 50' },
};

function input(over: Partial<CheckInput> = {}): CheckInput {
  return {
    id: 'p',
    env: 'production',
    stable: '1.0.0',
    rollout: { version: '1.1.0', weight: 5, stages: [5, 25, 50, 100], updated_at: '2026-12-01T08:00:00Z' },
    config: CONFIG,
    source: 'file m.json',
    window: '1h',
    stableArm: HEALTHY_STABLE,
    candidateArm: HEALTHY_CANDIDATE,
    now: '2026-12-01T11:00:00Z',
    ...over,
  };
}

describe('rollout check verdicts', () => {
  it('advance to the next stage when nothing aborts, the stage ran long enough and advance_when holds', () => {
    const r = checkRollout(input());
    expect(r).toMatchObject({ verdict: 'advance', to: 25, weight: 5 });
    expect(r.reasons[0]).toBe('advance 5% -> 25%');
    expect(r.arms.candidate.error_rate).toBeCloseTo(0.005);
    expect(r.deltas.error_rate_delta).toBeCloseTo(0);
    expect(r.criteria.filter((c) => c.kind === 'advance_when').every((c) => c.holds)).toBe(true);
  });

  it('complete when the next stage is 100 % or there is none, and when the rollout has no stages', () => {
    expect(checkRollout(input({ rollout: { version: '1.1.0', weight: 50, stages: [5, 25, 50, 100], updated_at: '2026-12-01T08:00:00Z' } }))).toMatchObject({ verdict: 'complete', to: 100 });
    expect(checkRollout(input({ rollout: { version: '1.1.0', weight: 50, stages: [5, 50], updated_at: '2026-12-01T08:00:00Z' } }))).toMatchObject({ verdict: 'complete', to: 100 });
    expect(checkRollout(input({ rollout: { version: '1.1.0', weight: 10, updated_at: '2026-12-01T08:00:00Z' } }))).toMatchObject({ verdict: 'complete' });
  });

  it('hold below min_requests on either arm, or without data; nothing is judged, not even an abort', () => {
    const few = checkRollout(input({ candidateArm: arm({ requests: 100, errors: 50 }) }));
    expect(few).toMatchObject({ verdict: 'hold', to: null });
    expect(few.reasons[0]).toMatch(/candidate 1\.1\.0 has 100 requests .*min_requests 500/);
    expect(checkRollout(input({ stableArm: null })).reasons[0]).toMatch(/stable 1\.0\.0 has no data/);
    expect(checkRollout(input({ config: {}, candidateArm: arm({ requests: 0 }) }))).toMatchObject({ verdict: 'hold' });
  });

  it('at 100 % the stable arm gets no traffic and is not required', () => {
    const r = checkRollout(input({ rollout: { version: '1.1.0', weight: 100, stages: [5, 100], updated_at: '2026-12-01T08:00:00Z' }, stableArm: arm({ requests: 0 }), config: { min_requests: 500, advance_when: { error_rate: '<= 0.01' } } }));
    expect(r).toMatchObject({ verdict: 'complete' });
  });

  it('hold at weight 0: the candidate gets no keys', () => {
    expect(checkRollout(input({ rollout: { version: '1.1.0', weight: 0, stages: [5], updated_at: '2026-12-01T08:00:00Z' } })).reasons[0]).toMatch(/no keys at 0%/);
  });

  it('abort on an absolute criterion, at once (no min_stage_duration wait)', () => {
    const r = checkRollout(input({ candidateArm: arm({ requests: 600, errors: 30, p95_latency_ms: 900, cost_usd: 0.6 }), now: '2026-12-01T08:05:00Z' }));
    expect(r).toMatchObject({ verdict: 'abort', to: 0 });
    expect(r.reasons).toContain('error_rate 0.05 > 0.02 (abort_when)');
  });

  it('abort on a candidate-minus-stable delta', () => {
    const r = checkRollout(input({ config: { min_requests: 500, abort_when: { error_rate_delta: '> 0.01' } }, candidateArm: arm({ requests: 600, errors: 12 }) }));
    expect(r.verdict).toBe('abort');
    expect(r.reasons[0]).toMatch(/^error_rate_delta 0\.015 > 0\.01/);
  });

  it('abort on a delta in percent of stable (cost per request up 80 %)', () => {
    const r = checkRollout(input({ candidateArm: arm({ requests: 600, errors: 3, p95_latency_ms: 950, cost_usd: 1.08 }) }));
    expect(r.verdict).toBe('abort');
    expect(r.deltas.cost_per_request_delta_pct).toBeCloseTo(80);
    expect(r.reasons[0]).toMatch(/^cost_per_request_delta_pct 80 > 50/);
  });

  it('hold before min_stage_duration, saying how long is left', () => {
    const r = checkRollout(input({ now: '2026-12-01T09:30:00Z' }));
    expect(r).toMatchObject({ verdict: 'hold' });
    expect(r.reasons[0]).toMatch(/min_stage_duration 2h not reached \(30 min left\)/);
    expect(r.min_stage_duration).toMatchObject({ required: '2h', elapsed_s: 5400, met: false });
  });

  it('hold when an advance_when criterion does not hold, or cannot be computed', () => {
    const slow = checkRollout(input({ candidateArm: { ...HEALTHY_CANDIDATE, p95_latency_ms: 4000 } }));
    expect(slow).toMatchObject({ verdict: 'hold' });
    expect(slow.reasons).toEqual(['p95_latency_ms 4000 is not <= 3000 (advance_when)']);
    const unknown = checkRollout(input({ candidateArm: { ...HEALTHY_CANDIDATE, p95_latency_ms: null } }));
    expect(unknown.reasons).toEqual(['p95_latency_ms cannot be computed from the metrics (advance_when <= 3000)']);
  });

  it('an abort_when that cannot be computed does not abort, and is noted', () => {
    const r = checkRollout(input({ config: { abort_when: { quality_delta: '< -0.1' } }, stableArm: { ...HEALTHY_STABLE, quality: null } }));
    expect(r.verdict).toBe('advance');
    expect(r.reasons.join('\n')).toMatch(/note: abort_when quality_delta < -0.1 could not be computed/);
  });

  it('metric values: per-request rates, deltas, percent deltas (0 when both are 0, unknown over a 0 stable)', () => {
    const s = deriveArm(arm({ requests: 100, errors: 0, cost_usd: 0 }));
    const c = deriveArm(arm({ requests: 50, errors: 1, cost_usd: 0 }));
    expect(metricValue('error_rate', s, c)).toBe(0.02);
    expect(metricValue('error_rate_delta', s, c)).toBe(0.02);
    expect(metricValue('error_rate_delta_pct', s, c)).toBeNull();
    expect(metricValue('cost_per_request_delta_pct', s, c)).toBe(0);
    expect(metricValue('requests_delta_pct', s, c)).toBe(-50);
    expect(deriveArm(arm({ requests: 0, errors: 0 })).error_rate).toBeNull();
  });

  it('conditions and durations are parsed strictly', () => {
    expect(parseCondition('error_rate', '<= 0.01')).toEqual({ metric: 'error_rate', op: '<=', value: 0.01 });
    expect(parseCondition('quality_delta', '>-0.5')).toEqual({ metric: 'quality_delta', op: '>', value: -0.5 });
    expect(parseCondition('latency', '< 1')).toMatch(/unknown metric/);
    expect(parseCondition('error_rate', '< 1; process.exit()')).toMatch(/not a condition/);
    expect(parseCondition('error_rate', '=> 1')).toMatch(/not a condition/);
    expect(durationMs('2h')).toBe(7_200_000);
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('2 hours')).toBeNull();
  });
});

describe('PromQL templates', () => {
  const v = { id: 'support/triage', version: '1.5.0', env: 'production', window: '1h' };

  it('the default queries fill in every placeholder', () => {
    const q = armQueries(undefined, v);
    expect(Object.keys(q).sort()).toEqual(['cost_usd', 'errors', 'p95_latency_ms', 'requests']);
    expect(q.requests).toBe('sum(increase(promptrail_requests_total{prompt_id="support/triage",prompt_version="1.5.0",env="production"}[1h]))');
    for (const text of Object.values(q)) expect(text).not.toMatch(/\{\{/);
    expect(DEFAULT_QUERIES.quality).toBeUndefined();
  });

  it('configured queries replace the defaults, one by one', () => {
    const q = armQueries({ requests: 'sum(x{v="{{version}}"})', quality: "avg(q{p='{{id}}'})" }, v);
    expect(q.requests).toBe('sum(x{v="1.5.0"})');
    expect(q.quality).toBe("avg(q{p='support/triage'})");
    expect(q.errors).toContain('outcome!="ok"');
  });

  it('values are escaped for the string they are in, so they cannot end it', () => {
    const hostile = { ...v, id: 'a"} or vector(1) or x{b="\\', env: "it's\nnew" };
    const dq = fillQuery('sum(m{prompt_id="{{id}}"})', hostile);
    expect(dq).toBe('sum(m{prompt_id="a\\"} or vector(1) or x{b=\\"\\\\"})');
    // scanned as PromQL: exactly one string literal, closed where the template closed it
    expect(stringLiterals(dq)).toEqual(['"a\\"} or vector(1) or x{b=\\"\\\\"']);
    const sq = fillQuery("m{env='{{env}}'}", hostile);
    expect(sq).toBe("m{env='it\\'s\\nnew'}");
    expect(stringLiterals(sq)).toHaveLength(1);
    expect(escapePromqlString('\x01', '"')).toBe('\\x01');
  });

  it('refuses templates it cannot fill safely: unknown placeholders, values outside a string, raw strings that cannot hold them, bad windows', () => {
    expect(() => fillQuery('m{x="{{user}}"}', v)).toThrow(QueryTemplateError);
    expect(() => fillQuery('m{x="{{ id }}"}', v)).not.toThrow();
    expect(() => fillQuery('m{x="a"} or {{id}}', v)).toThrow(/must be inside a quoted string/);
    expect(() => fillQuery('m{x=`{{id}}`}', { ...v, id: 'a`b' })).toThrow(/raw/);
    expect(fillQuery('m{x=`{{id}}`}', v)).toBe('m{x=`support/triage`}');
    expect(() => fillQuery('m{x="{{id}}}', v)).toThrow(/never closed/);
    expect(() => fillQuery('m[{{window}}]', { ...v, window: '1h] or vector(1) #' })).toThrow(/not a PromQL duration/);
    expect(fillQuery('m[{{window}}] # {{comment}} stays', { ...v, window: '1h30m' })).toBe('m[1h30m] # {{comment}} stays');
    expect(() => armQueries({ requests: 'x{a="{{nope}}"}' }, v)).toThrow(/query "requests": unknown placeholder/);
  });
});

/** The string literals of a PromQL expression, as its lexer reads them (quotes and backslash escapes). */
function stringLiterals(q: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < q.length; i++) {
    const ch = q[i]!;
    if (ch !== '"' && ch !== "'") continue;
    let j = i + 1;
    while (j < q.length && q[j] !== ch) j += q[j] === '\\' ? 2 : 1;
    out.push(q.slice(i, j + 1));
    i = j;
  }
  return out;
}

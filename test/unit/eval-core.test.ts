import { describe, expect, it } from 'vitest';
import { backoffMs, redact, retryAfterMs, withRetries } from '../../src/providers/http.js';
import { ProviderError } from '../../src/providers/types.js';
import { cacheKey } from '../../src/eval/cache.js';
import { canonicalJson } from '../../src/core/json.js';
import { CircuitBreaker } from '../../src/eval/circuit.js';
import { buildReport, compareResults } from '../../src/eval/report.js';
import { casesFor } from '../../src/eval/suite.js';
import { costOf } from '../../src/eval/providers/index.js';
import { echoText } from '../../src/providers/echo.js';
import { graderOf, type CaseResult, type EvalRun } from '../../src/eval/runner.js';
import type { EvalTarget } from '../../src/eval/suite.js';

describe('Retry-After and backoff', () => {
  it('parses seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '0.5' }))).toBe(500);
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 22 Nov 2026 10:00:07 GMT' }), now)).toBe(7000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Sun, 22 Nov 2026 09:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
  it('honours Retry-After over backoff and backs off exponentially with jitter otherwise', () => {
    const withRa = new ProviderError('x', { retryable: true, retryAfterMs: 1234 });
    expect(backoffMs(5, withRa, 100)).toBe(1234);
    const plain = new ProviderError('x', { retryable: true });
    expect(backoffMs(0, plain, 100, () => 0)).toBe(50);
    expect(backoffMs(0, plain, 100, () => 1)).toBe(100);
    expect(backoffMs(3, plain, 100, () => 1)).toBe(800);
    expect(backoffMs(30, plain, 100, () => 1)).toBe(30000);
  });
  it('retries retryable errors up to the limit and never non-retryable ones', async () => {
    let n = 0;
    await expect(withRetries(async () => { n++; throw new ProviderError('503', { retryable: true, retryAfterMs: 0 }); }, { retries: 3 })).rejects.toThrow('503');
    expect(n).toBe(4);
    n = 0;
    await expect(withRetries(async () => { n++; throw new ProviderError('401', { retryable: false, fatal: true }); }, { retries: 3 })).rejects.toThrow('401');
    expect(n).toBe(1);
    n = 0;
    expect(await withRetries(async () => { if (++n < 3) throw new ProviderError('429', { retryable: true, retryAfterMs: 0 }); return 'ok'; }, { retries: 3 })).toBe('ok');
  });
  it('redacts every occurrence of a secret', () => {
    expect(redact('key sk-SECRET and sk-SECRET again', ['sk-SECRET'])).toBe('key *** and *** again');
    expect(redact('abc', ['ab'])).toBe('abc');
  });
});

describe('cache key', () => {
  const base = { type: 'openai', baseUrl: 'http://x/v1', model: 'm', parameters: { temperature: 0, max_tokens: 5 }, messages: [{ role: 'user' as const, content: 'hi' }] };
  it('is stable under parameter key order and changes with every input', () => {
    const k = cacheKey(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey({ ...base, parameters: { max_tokens: 5, temperature: 0 } })).toBe(k);
    expect(cacheKey({ ...base, model: 'n' })).not.toBe(k);
    expect(cacheKey({ ...base, baseUrl: 'http://y/v1' })).not.toBe(k);
    expect(cacheKey({ ...base, type: 'anthropic' })).not.toBe(k);
    expect(cacheKey({ ...base, parameters: { temperature: 1, max_tokens: 5 } })).not.toBe(k);
    expect(cacheKey({ ...base, messages: [{ role: 'user', content: 'hi!' }] })).not.toBe(k);
  });
  it('canonical JSON sorts keys deeply', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });
});

describe('circuit breaker', () => {
  it('trips once after the limit of consecutive failures; a success resets the count', () => {
    const b = new CircuitBreaker(3);
    expect(b.failure('e1')).toBe(false);
    expect(b.failure('e2')).toBe(false);
    b.success();
    expect(b.failure('e3')).toBe(false);
    expect(b.failure('e4')).toBe(false);
    expect(b.failure('e5')).toBe(true);
    expect(b.failure('e6')).toBe(false);
    expect(b.message).toContain('max_consecutive_failures: 3');
    expect(b.message).toContain('last error: e6');
  });
});

describe('suite cases', () => {
  it('merges default vars under case vars, prepends default assertions and filters by semver range', () => {
    const suite = {
      defaults: { vars: { tier: 'free', lang: 'en' }, assert: [{ type: 'latency' as const, max_ms: 100 }] },
      cases: [
        { name: 'a', vars: { tier: 'pro' }, assert: [{ type: 'contains' as const, value: 'x' }] },
        { name: 'b', versions: '>=1.2.0' },
        { name: 'c', versions: '<1.0.0 || >=2.0.0-0' },
      ],
    };
    const v11 = casesFor(suite, '1.1.0');
    expect(v11.map((c) => c.name)).toEqual(['a']);
    expect(v11[0]!.vars).toEqual({ tier: 'pro', lang: 'en' });
    expect(v11[0]!.assert.map((a) => a.type)).toEqual(['latency', 'contains']);
    expect(casesFor(suite, '1.2.0').map((c) => c.name)).toEqual(['a', 'b']);
    expect(casesFor(suite, '2.0.0-rc.1').map((c) => c.name)).toEqual(['a', 'b', 'c']);
  });
});

const res = (name: string, pass: boolean, error: string | null = null): CaseResult => ({
  name, pass, error, output: error ? null : 'o', latency_ms: 1, tokens: error ? null : { input: 1, output: 2, total: 3 }, cost_usd: error ? null : 0.001, cached: false, score: pass ? 1 : 0, assertions: [],
});
const target = { id: 'p', version: '1.1.0', sha256: 'a'.repeat(64), suite_sha256: 'b'.repeat(64) } as EvalTarget;
const run = (results: CaseResult[], extra: Partial<EvalRun> = {}): EvalRun => ({
  provider: 'openai', provider_type: 'openai', model: 'm', parameters: {}, results, planned: results.length, interrupted: false, stopped: null, fatal: false, duration_ms: 5, started_at: 'now', repeat: 1, case_pass_rate: 1, budget_exhausted: false, ...extra,
});

describe('baselines and the report', () => {
  it('classifies regressions, improvements, unchanged and new cases by name', () => {
    const c = compareResults([res('a', false), res('b', true), res('c', true), res('d', true)], [res('a', true), res('b', false), res('c', true)]);
    expect(c.regressions).toEqual(['a']);
    expect(c.improvements).toEqual(['b']);
    expect(c.unchanged).toBe(1);
    expect(c.change.get('d')).toBe('new');
  });
  it('counts passed/failed/errors, totals tokens and cost, and computes the pass-rate delta', () => {
    const r = buildReport(target, run([res('a', true), res('b', false), res('c', false, 'HTTP 500')]), { baseline: { version: '1.0.0', results: [res('a', true), res('b', true)] } });
    expect(r).toMatchObject({ cases: 3, passed: 1, failed: 1, errors: 1, pass_rate: 0.3333, regressions: ['b'], improvements: [], ok: false });
    // the delta is over the cases both ran (a, b: 50% now, 100% before), not 33.3% - 100%: "c" is new
    expect(r.baseline).toEqual({ version: '1.0.0', pass_rate: 1, passed: 2, cases: 2, common_cases: 2, common_passed: 1, common_baseline_passed: 2, delta: -0.5 });
    expect(r.new).toEqual(['c']);
    expect(r.tokens.total).toBe(6);
    expect(r.cost_usd).toBeCloseTo(0.002);
    expect(r.results[1]!.change).toBe('regression');
  });
  it('new and removed cases are listed, and they do not move the delta (computed on the cases both ran)', () => {
    // the suite gained two failing cases and lost a passing one; the cases both ran are unchanged
    const r = buildReport(target, run([res('a', true), res('b', true), res('n1', false), res('n2', false)]), { baseline: { version: '1.0.0', results: [res('a', true), res('b', true), res('gone', true)] } });
    expect(r.new).toEqual(['n1', 'n2']);
    expect(r.removed).toEqual(['gone']);
    expect(r.baseline).toMatchObject({ pass_rate: 1, common_cases: 2, common_passed: 2, common_baseline_passed: 2, delta: 0 });
    expect(r.pass_rate).toBe(0.5); // the overall rate still counts every case that ran now
    expect(buildReport(target, run([res('a', true)])).new).toEqual([]);
  });
  it('ok: every case passes without baseline/min; only regressions and --min-pass-rate count with a baseline', () => {
    expect(buildReport(target, run([res('a', true), res('b', false)])).ok).toBe(false);
    expect(buildReport(target, run([res('a', true), res('b', false)]), { minPassRate: 0.5 }).ok).toBe(true);
    expect(buildReport(target, run([res('a', true), res('b', false)]), { minPassRate: 0.6 }).ok).toBe(false);
    expect(buildReport(target, run([res('a', true), res('b', false)]), { baseline: { version: '1.0.0', results: [res('b', false)] } }).ok).toBe(true);
    expect(buildReport(target, run([res('a', true)], { interrupted: true })).ok).toBe(false);
    expect(buildReport(target, run([res('a', true)], { stopped: 'breaker' })).ok).toBe(false);
  });
  it('a baseline case that errored proves nothing: no improvement, and failing now is not ok (a possible regression)', () => {
    const c = compareResults([res('a', false), res('b', true)], [res('a', false, 'no recorded response'), res('b', false, 'HTTP 500')]);
    expect(c.regressions).toEqual([]);
    expect(c.improvements).toEqual([]);
    expect(c.unchanged).toBe(0);
    expect(c.unverified).toEqual(['a']);
    expect([c.change.get('a'), c.change.get('b')]).toEqual(['unknown', 'unknown']);
    const r = buildReport(target, run([res('a', false), res('b', true)]), { baseline: { version: '1.0.0', results: [res('a', false, 'HTTP 500'), res('b', false, 'HTTP 500')] } });
    expect(r).toMatchObject({ ok: false, regressions: [], improvements: [], unchanged: 0 });
    // only a passing case whose baseline errored is harmless
    expect(buildReport(target, run([res('b', true)]), { baseline: { version: '1.0.0', results: [res('b', false, 'HTTP 500')] } }).ok).toBe(true);
  });
  it('a run where no case applied is not ok (nothing was checked)', () => {
    expect(buildReport(target, run([])).ok).toBe(false);
    expect(buildReport(target, run([]), { minPassRate: 0 }).ok).toBe(false);
  });
  it('cost is unknown (null) when any case has no price', () => {
    const r = buildReport(target, run([res('a', true), { ...res('b', true), cost_usd: null }]));
    expect(r.cost_usd).toBeNull();
  });
});

describe('providers helpers', () => {
  it('cost comes only from the configured price table', () => {
    const usage = { input: 1_000_000, output: 500_000, total: 1_500_000 };
    expect(costOf(usage, { m: { input_per_1m: 0.15, output_per_1m: 0.6 } }, 'm', 'openai')).toBeCloseTo(0.45);
    expect(costOf(usage, undefined, 'm', 'openai')).toBeNull();
    expect(costOf(usage, { other: { input_per_1m: 1, output_per_1m: 1 } }, 'm', 'anthropic')).toBeNull();
    expect(costOf(null, { m: { input_per_1m: 1, output_per_1m: 1 } }, 'm', 'openai')).toBeNull();
    expect(costOf(usage, undefined, 'm', 'echo')).toBe(0);
  });
  it('echo returns the rendered prompt', () => {
    expect(echoText([{ role: 'user', content: 'hi' }])).toBe('hi');
    expect(echoText([{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }])).toBe('system: S\n\nuser: U');
  });
  it('llm-rubric grades with its own provider and model, by default those under test', () => {
    expect(graderOf({ type: 'llm-rubric', rubric: 'r' }, 'openai', 'm')).toEqual({ provider: 'openai', model: 'm' });
    expect(graderOf({ type: 'llm-rubric', rubric: 'r', provider: 'judge' }, 'openai', 'm')).toEqual({ provider: 'judge', model: 'm' });
    expect(graderOf({ type: 'llm-rubric', rubric: 'r', provider: 'judge', model: 'gpt-4o' }, 'openai', 'm')).toEqual({ provider: 'judge', model: 'gpt-4o' });
  });
});

/** Shards, repeats, budgets, merge verification and gate evidence: the pure parts of evals at scale. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseShard, selectShard, shardOf } from '../../src/eval/shard.js';
import { Budget, estimateRequestCost } from '../../src/eval/budget.js';
import { DEFAULT_MAX_OUTPUT_TOKENS_ESTIMATE as DEFAULT_OUTPUT_TOKENS } from '../../src/providers/cost.js';
import { Limiter } from '../../src/eval/limiter.js';
import { decide, type CaseResult, type EvalRun, type RunOutcome } from '../../src/eval/runner.js';
import { buildReport, percentile, type EvalReport, type ReportResult } from '../../src/eval/report.js';
import { mergeFiles, mergeShards, type MergeInput } from '../../src/eval/merge.js';
import { makeDocument, type EvalRunDocument, type ReportFile, type RunSummary } from '../../src/eval/document.js';
import { evidenceProblems, type EvidenceSpec } from '../../src/eval/evidence.js';
import type { EvalCaseSpec, EvalTarget } from '../../src/eval/suite.js';
import { repeatPolicy } from '../../src/eval/suite.js';
import { CheckFailed, UsageError } from '../../src/errors.js';

// ------------------------------------------------------------------ fixtures
const SHA = 'a'.repeat(64);
const SUITE_SHA = 'b'.repeat(64);
const CONFIG_SHA = 'c'.repeat(64);
const specs = (names: string[]): EvalCaseSpec[] => names.map((name, index) => ({ index, name, vars: {}, assert: [] }));
function target(names: string[], over: Partial<EvalTarget> = {}): EvalTarget {
  return {
    id: 'p',
    version: '1.0.0',
    prompt: { id: 'p', version: '1.0.0', model: { provider: 'llm', name: 'm', parameters: { temperature: 0 } }, template: 'x' },
    library: { uses: {}, partials: {} },
    deps: {},
    resolved_sha256: 'd'.repeat(64),
    sha256: SHA,
    suite: { cases: names.map((name) => ({ name })) },
    suite_sha256: SUITE_SHA,
    suiteRel: 'prompts/p/evals.yaml',
    cases: specs(names),
    totalCases: names.length,
    ...over,
  };
}
const res = (name: string, pass: boolean, error: string | null = null, extra: Partial<CaseResult> = {}): CaseResult => ({
  name, pass, error, output: error ? null : `out ${name}`, latency_ms: 10, tokens: error ? null : { input: 1, output: 2, total: 3 }, cost_usd: error ? null : 0.001, cached: false, score: pass ? 1 : 0, assertions: [], ...extra,
});
const run = (t: EvalTarget, results: CaseResult[], extra: Partial<EvalRun> = {}): EvalRun => ({
  provider: 'llm', provider_type: 'openai', model: 'm', parameters: { temperature: 0 }, results, planned: results.length, interrupted: false, stopped: null, fatal: false,
  duration_ms: 5, started_at: '2026-11-22T10:00:00.000Z', repeat: 1, case_pass_rate: 1, budget_exhausted: false, config_sha256: CONFIG_SHA, shard: t.shard, ...extra,
});
const NAMES = Array.from({ length: 40 }, (_, i) => `case number ${i}`);
/** the report of running the given shard of NAMES; case i passes unless i % 7 === 3 */
function shardReport(i: number, n: number, opts: { names?: string[]; over?: Partial<EvalReport>; baseline?: boolean } = {}): EvalReport {
  const t = selectShard(target(opts.names ?? NAMES), { index: i, count: n });
  const results = t.cases.map((c) => ({ ...res(c.name, c.index % 7 !== 3), index: c.index }));
  const bt = selectShard(target(opts.names ?? NAMES, { version: '0.9.0', sha256: 'd'.repeat(64) }), { index: i, count: n });
  const baseline = opts.baseline ? { version: '0.9.0', sha256: 'd'.repeat(64), results: bt.cases.map((c) => res(c.name, true)) } : null;
  return { ...buildReport(t, run(t, results), { baseline }), ...opts.over };
}
const input = (r: EvalReport, name = `shard-${r.shard?.index}.json`): MergeInput => ({ name, sha256: createHash('sha256').update(name).digest('hex'), report: r });

// ------------------------------------------------------------------ shards
describe('shard assignment', () => {
  it('is uint64be(sha256(utf8 name)[0..8]) mod n, 1-based in --shard', () => {
    for (const name of ['a', 'refund is billing', 'ünïcødé ✓', '']) {
      const d = createHash('sha256').update(Buffer.from(name, 'utf8')).digest();
      const big = BigInt(`0x${d.subarray(0, 8).toString('hex')}`);
      for (const n of [1, 2, 3, 4, 7, 1024]) expect(shardOf(name, n)).toBe(Number(big % BigInt(n)));
    }
    // every n up to the limit, against BigInt arithmetic
    for (let i = 0; i < 200; i++) {
      const name = `vector ${i}`;
      const big = BigInt(`0x${createHash('sha256').update(name).digest('hex').slice(0, 16)}`);
      for (const n of [3, 5, 6, 7, 10, 13, 100, 255, 999, 1023, 1024]) expect(shardOf(name, n)).toBe(Number(big % BigInt(n)));
    }
    // fixed vectors (first 8 digest bytes in hex, n, 0-based shard), so other implementations can check themselves
    expect(shardOf('refund is billing', 4)).toBe(1); // 2613791100e42575
    expect(shardOf('case 0', 3)).toBe(2); // 2a22aabc0395ff46
    expect(shardOf('ünïcødé ✓', 1024)).toBe(500); // a6745d77670391f4
  });
  it('partitions the cases: every case in exactly one shard, suite order kept', () => {
    const t = target(NAMES);
    const parts = [1, 2, 3, 4].map((i) => selectShard(t, { index: i, count: 4 }));
    const all = parts.flatMap((p) => p.cases.map((c) => c.name));
    expect(all.sort()).toEqual([...NAMES].sort());
    expect(new Set(all).size).toBe(NAMES.length);
    for (const p of parts) {
      expect(p.shard).toMatchObject({ count: 4, total: 40 });
      const idx = p.cases.map((c) => c.index);
      expect(idx).toEqual([...idx].sort((a, b) => a - b));
    }
    expect(parts.every((p) => p.cases.length > 0)).toBe(true);
  });
  it('is robust to reordering, adding and removing other cases', () => {
    const before = selectShard(target(NAMES), { index: 2, count: 3 }).cases.map((c) => c.name);
    const shuffled = [...NAMES].reverse().concat(['a new case', 'another one']).filter((n) => n !== 'case number 5');
    const after = selectShard(target(shuffled), { index: 2, count: 3 }).cases.map((c) => c.name);
    for (const n of before) if (n !== 'case number 5') expect(after).toContain(n);
    for (const n of after) if (!['a new case', 'another one'].includes(n)) expect(before).toContain(n);
  });
  it.each(['0/4', '5/4', '1/0', 'a/b', '2', '1/1025', '-1/3', '1/2/3', ''])('rejects --shard %j as a usage error', (s) => {
    expect(() => parseShard(s)).toThrow(UsageError);
    expect(() => parseShard(s)).toThrow(/--shard must be i\/n with 1 <= i <= n <= 1024/);
  });
  it('accepts i/n', () => {
    expect(parseShard('3/4')).toEqual({ index: 3, count: 4 });
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 });
  });
});

// ------------------------------------------------------------------ repeats
describe('repeats and case_pass_rate', () => {
  const out = (pass: boolean, i: number, error: string | null = null): RunOutcome => ({ pass, error, output: error ? null : `run ${i}`, latency_ms: i, tokens: error ? null : { input: 1, output: 1, total: 2 }, cost_usd: error ? null : 0.01, cached: false, score: pass ? 1 : 0, assertions: [] });
  it('a case passes when at least case_pass_rate of its runs pass (no float surprises)', () => {
    const runs = [out(true, 1), out(false, 2), out(true, 3), out(true, 4), out(true, 5)];
    expect(decide('c', runs, 0.8)).toMatchObject({ pass: true, runs: 5, runs_passed: 4, pass_rate: 0.8 });
    expect(decide('c', runs, 0.81).pass).toBe(false);
    expect(decide('c', runs, 1).pass).toBe(false);
    expect(decide('c', [out(true, 1), out(true, 2), out(false, 3)], 2 / 3).pass).toBe(true);
  });
  it('shows the first run that agrees with the verdict, totals tokens and cost, keeps every run', () => {
    const runs = [out(true, 1), out(false, 2), out(true, 3)];
    const failing = decide('c', runs, 1);
    expect(failing).toMatchObject({ pass: false, output: 'run 2', latency_ms: 2, tokens: { input: 3, output: 3, total: 6 }, cost_usd: 0.03 });
    expect(failing.repeats).toHaveLength(3);
    expect(decide('c', runs, 0.5)).toMatchObject({ pass: true, output: 'run 1' });
    // an errored run counts as not passing; its unknown cost does not make the total unknown
    expect(decide('c', [out(true, 1), out(false, 2, 'HTTP 500')], 0.5)).toMatchObject({ pass: true, runs_passed: 1, cost_usd: 0.01 });
  });
  it('the suite sets the policy, flags override it, defaults are 1 and 1.0', () => {
    expect(repeatPolicy({ cases: [] })).toEqual({ repeat: 1, case_pass_rate: 1 });
    expect(repeatPolicy({ defaults: { repeat: 5, case_pass_rate: 0.8 }, cases: [] })).toEqual({ repeat: 5, case_pass_rate: 0.8 });
    expect(repeatPolicy({ defaults: { repeat: 5, case_pass_rate: 0.8 }, cases: [] }, { repeat: 3 })).toEqual({ repeat: 3, case_pass_rate: 0.8 });
    expect(repeatPolicy({ cases: [] }, { casePassRate: 0.5 })).toEqual({ repeat: 1, case_pass_rate: 0.5 });
  });
  it('the report counts cost over every run and latency percentiles over every run', () => {
    const t = target(['a', 'b']);
    const a = decide('a', [out(true, 10), out(true, 30)], 1);
    const b = decide('b', [out(true, 20), out(false, 40)], 0.5);
    const r = buildReport(t, run(t, [a, b], { repeat: 2, case_pass_rate: 0.5 }));
    expect(r).toMatchObject({ passed: 2, repeat: 2, case_pass_rate: 0.5, cost_usd: 0.04, latency: { p50_ms: 20, p95_ms: 40 } });
    expect(percentile([], 50)).toBeNull();
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });
});

// ------------------------------------------------------------------ budget
describe('budget accounting', () => {
  it('estimates from the price table: ceil(chars/4) + 4 per message in, max_tokens (else 1,024) out', () => {
    const price = { m: { input_per_1m: 1, output_per_1m: 10 } };
    const messages = [{ role: 'system' as const, content: 'x'.repeat(10) }, { role: 'user' as const, content: 'y'.repeat(7) }];
    // input ceil(17/4)=5 + 8 = 13 tokens; output 100
    expect(estimateRequestCost({ messages, parameters: { max_tokens: 100 }, model: 'm' }, price, 'openai')).toBeCloseTo((13 * 1 + 100 * 10) / 1e6, 12);
    expect(estimateRequestCost({ messages, parameters: {}, model: 'm' }, price, 'openai')).toBeCloseTo((13 + DEFAULT_OUTPUT_TOKENS * 10) / 1e6, 12);
    expect(estimateRequestCost({ messages, parameters: { max_completion_tokens: 5 } , model: 'm' }, price, 'anthropic')).toBeCloseTo((13 + 50) / 1e6, 12);
    expect(estimateRequestCost({ messages, parameters: {}, model: 'other' }, price, 'openai')).toBeNull();
    expect(estimateRequestCost({ messages, parameters: {}, model: 'x' }, undefined, 'echo')).toBe(0);
  });
  it('spent + in flight + the estimate never exceed the limit; settled requests count their actual cost', async () => {
    const b = new Budget(1.0);
    const r1 = await b.reserve(0.4);
    const r2 = await b.reserve(0.4);
    expect(r1 && r2).toBeTruthy();
    expect(b.inFlight).toBeCloseTo(0.8);
    // 0.8 in flight + 0.4 > 1.0: it waits for a request to settle instead of starting
    let third: unknown = 'pending';
    const p3 = b.reserve(0.4).then((r) => (third = r));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe('pending');
    r1!.settle(0.1); // cheaper than estimated: 0.1 spent + 0.4 in flight + 0.4 fits
    await p3;
    expect(third).not.toBeNull();
    expect(b.spent).toBeCloseTo(0.1);
    expect(b.inFlight).toBeCloseTo(0.8);
    r2!.settle(null); // unknown actual cost: the estimate counts
    (third as { settle(n: number | null): void }).settle(0.4);
    expect(b.spent).toBeCloseTo(0.9);
    expect(b.inFlight).toBe(0);
    // nothing in flight and the estimate does not fit: exhausted, for good
    expect(await b.reserve(0.2)).toBeNull();
    expect(b.exhausted).toBe(true);
    expect(await b.reserve(0.0001)).toBeNull();
  });
  it('a waiting request whose budget runs out when the others settle is refused', async () => {
    const b = new Budget(0.5);
    const r1 = await b.reserve(0.3);
    const p = b.reserve(0.3);
    r1!.settle(0.3); // 0.3 spent, 0 in flight, 0.3 more does not fit
    expect(await p).toBeNull();
    expect(b.exhausted).toBe(true);
  });
  it('an aborted wait returns null without exhausting the budget', async () => {
    const b = new Budget(0.5);
    await b.reserve(0.4);
    const ac = new AbortController();
    const p = b.reserve(0.4, ac.signal);
    ac.abort();
    expect(await p).toBeNull();
    expect(b.exhausted).toBe(false);
  });
  it('the limiter admits at most its limit at once, in order', async () => {
    const l = new Limiter(2);
    const order: number[] = [];
    const a = await l.acquire();
    const b = await l.acquire();
    const c = l.acquire().then((rel) => (order.push(3), rel));
    const d = l.acquire().then((rel) => (order.push(4), rel));
    expect(l.inUse).toBe(2);
    a();
    a(); // releasing twice frees one slot only
    const rc = await c;
    expect(order).toEqual([3]);
    expect(l.inUse).toBe(2);
    b();
    (await d)();
    rc();
    expect(l.inUse).toBe(0);
  });
});

// ------------------------------------------------------------------ merge
describe('report merge', () => {
  const unsharded = (): EvalReport => {
    const t = target(NAMES);
    return buildReport(t, run(t, t.cases.map((c) => res(c.name, c.index % 7 !== 3))));
  };
  const strip = (r: EvalReport) => ({ ...r, started_at: '', duration_ms: 0, merged: null });
  it('merges 4 shards into exactly the unsharded report, case for case, in suite order', () => {
    const shards = [3, 1, 4, 2].map((i) => input(shardReport(i, 4)));
    const m = mergeShards(shards);
    expect(m.merged).toMatchObject({ shards: 4 });
    expect(m.merged!.inputs.map((x) => x.shard)).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(m.shard).toBeNull();
    expect(m.results.every((r) => r.index === undefined)).toBe(true);
    expect(strip(m)).toEqual(strip(unsharded()));
    expect(m.ok).toBe(false); // some cases fail and there is neither baseline nor minimum
  });
  it('sums the baselines, recomputes the delta and judges min_pass_rate on the whole', () => {
    const shards = [1, 2].map((i) => input(shardReport(i, 2, { baseline: true, over: {} })));
    const m = mergeShards(shards);
    expect(m.baseline).toMatchObject({ version: '0.9.0', passed: 40, cases: 40, pass_rate: 1 });
    expect(m.regressions.length).toBe(NAMES.filter((_, i) => i % 7 === 3).length);
    expect(m.baseline!.delta).toBeCloseTo(m.pass_rate - 1, 4);
    // a shard is not held against the minimum; the merge is
    const withMin = [1, 2].map((i) => {
      const r = shardReport(i, 2);
      return input({ ...r, min_pass_rate: 0.8, ok: true });
    });
    expect(mergeShards(withMin)).toMatchObject({ min_pass_rate: 0.8, ok: true }); // 34/40 = 0.85
    const strict = [1, 2].map((i) => input({ ...shardReport(i, 2), min_pass_rate: 0.9 }));
    expect(mergeShards(strict).ok).toBe(false);
  });
  const refusals: [string, () => MergeInput[], RegExp][] = [
    ['an unsharded report', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), shard: null }, 'full.json')], /full\.json is not a shard report/],
    ['an already merged report', () => [input(mergeShards([1, 2].map((i) => input(shardReport(i, 2)))), 'merged.json')], /merged\.json is already a merged report/],
    ['a missing shard', () => [input(shardReport(1, 3)), input(shardReport(3, 3))], /shard 2\/3 is missing/],
    ['a shard given twice', () => [input(shardReport(1, 2), 'a.json'), input(shardReport(1, 2), 'b.json'), input(shardReport(2, 2))], /shard 1\/2 of p@1\.0\.0 on llm is given twice \(a\.json and b\.json\)/],
    ['different shard counts', () => [input(shardReport(1, 2)), input(shardReport(2, 3))], /differ in shard count: 2 vs 3/],
    ['another prompt sha256', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), sha256: 'e'.repeat(64) })], /differ in prompt sha256: aaaaaaaaaaaa… vs eeeeeeeeeeee…/],
    ['another suite sha256', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), suite_sha256: 'e'.repeat(64) })], /differ in suite sha256/],
    ['another model', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), model: 'm2' })], /differ in model: m vs m2/],
    ['other parameters', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), parameters: { temperature: 1 } })], /differ in parameters/],
    ['another provider config', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), config_sha256: 'f'.repeat(64) })], /differ in provider config digest/],
    ['another repeat', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), repeat: 3 })], /differ in repeat: 1 vs 3/],
    ['another baseline', () => [input(shardReport(1, 2, { baseline: true })), input(shardReport(2, 2))], /differ in baseline version: 0\.9\.0 vs null/],
    ['another provider', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), provider: 'other' })], /are different evals \(p@1\.0\.0 on llm vs p@1\.0\.0 on other\)/],
    ['an interrupted shard', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), interrupted: true })], /shard 2\/2 of p@1\.0\.0 on llm\) was interrupted/],
    ['a shard out of budget', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), budget_exhausted: true, stopped: 'budget' })], /ran out of its --max-cost budget/],
    ['a stopped shard', () => [input(shardReport(1, 2)), input({ ...shardReport(2, 2), stopped: 'circuit breaker' })], /stopped early: circuit breaker/],
    ['a case in the wrong shard', () => {
      const a = shardReport(1, 2);
      const b = shardReport(2, 2);
      const moved = b.results[0]!;
      return [input({ ...a, results: [...a.results, moved] }), input({ ...b, results: b.results.slice(1) })];
    }, /but belongs to shard 2\/2/],
    ['a case twice', () => {
      const a = shardReport(1, 2);
      return [input({ ...a, results: [...a.results, a.results[0]!] }), input(shardReport(2, 2))];
    }, /is in both shard-1\.json \(shard 1\/2\) and shard-1\.json/],
    ['a case missing', () => {
      const a = shardReport(1, 2);
      return [input({ ...a, results: a.results.slice(1) }), input(shardReport(2, 2))];
    }, /hold 39 case\(s\), but the suite applies 40 to this version: 1 missing/],
    ['a result without its suite position', () => {
      const a = shardReport(1, 2);
      const { index: _i, ...first } = a.results[0]!;
      return [input({ ...a, results: [first, ...a.results.slice(1)] }), input(shardReport(2, 2))];
    }, /has no suite position/],
  ];
  it.each(refusals)('refuses %s with exit 1 and a message naming it', (_what, make, message) => {
    let err: unknown;
    try {
      mergeShards(make());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).exitCode).toBe(1);
    expect((err as Error).message).toMatch(/^cannot merge: /);
    expect((err as Error).message).toMatch(message);
  });
  it('merges run documents group by group (prompt, version, provider)', () => {
    const other = (i: number) => ({ ...shardReport(i, 2, { names: ['x', 'y', 'z'] }), prompt: 'q' });
    const file = (i: number): ReportFile => ({ given: `s${i}.json`, file: `/tmp/s${i}.json`, sha256: String(i).repeat(64), doc: makeDocument([shardReport(i, 2), other(i)], [{ prompt: 'r', reason: 'no eval suite' }], { selection: { mode: 'all' } }) });
    const merged = mergeFiles([file(1), file(2)]);
    expect('kind' in merged && merged.kind).toBe('eval-run');
    if (!('kind' in merged)) return;
    expect(merged.reports.map((r) => [r.prompt, r.cases, r.merged?.shards])).toEqual([['p', 40, 2], ['q', 3, 2]]);
    expect(merged.skipped).toEqual([{ prompt: 'r', reason: 'no eval suite' }]);
    expect(merged.selection).toEqual({ mode: 'all' });
    expect(merged.summary).toMatchObject({ reports: 2, cases: 43 });
    // a group with a missing shard fails the whole merge
    expect(() => mergeFiles([file(1)])).toThrow(/shard 2\/2 is missing/);
  });
});

// ------------------------------------------------------------------ evidence
describe('gate evidence', () => {
  const t = target(NAMES);
  const spec: EvidenceSpec = { target: t, provider: 'llm', policy: { repeat: 1, case_pass_rate: 1 }, configSha256: CONFIG_SHA };
  const good = (): EvalReport => buildReport(t, run(t, t.cases.map((c) => res(c.name, true))));
  it('a complete report of exactly these files, provider, model, parameters and config is evidence', () => {
    expect(evidenceProblems(good(), spec)).toEqual([]);
    const merged = mergeShards([1, 2].map((i) => input(shardReport(i, 2))));
    expect(evidenceProblems(merged, spec)).toEqual([]);
  });
  const cases: [string, (r: EvalReport) => EvalReport, RegExp, Partial<EvidenceSpec>?][] = [
    ['another version', (r) => ({ ...r, version: '2.0.0' }), /it evaluated p@2\.0\.0, not p@1\.0\.0/],
    ['other bytes', (r) => ({ ...r, sha256: 'e'.repeat(64) }), /other bytes of p@1\.0\.0 \(sha256 eeeeeeeeeeee…, the file is aaaaaaaaaaaa… now\)/],
    ['another suite', (r) => ({ ...r, suite_sha256: 'e'.repeat(64) }), /another version of prompts\/p\/evals\.yaml/],
    ['another provider', (r) => ({ ...r, provider: 'cheap' }), /provider "cheap", the gate runs on "llm"/],
    ['another model', (r) => ({ ...r, model: 'm2' }), /model "m2", the gate runs "m"/],
    ['other parameters', (r) => ({ ...r, parameters: { temperature: 0.7 } }), /parameters \{"temperature":0\.7\}, the gate runs \{"temperature":0\}/],
    ['a changed provider config', (r) => ({ ...r, config_sha256: 'f'.repeat(64) }), /provider config in prompts\.config\.yaml changed since/],
    ['no config digest', (r) => ({ ...r, config_sha256: null }), /does not record the provider config digest/],
    ['a shard', () => shardReport(1, 2), /shard 1\/2 only: merge the shards/],
    ['an interrupted run', (r) => ({ ...r, interrupted: true }), /interrupted/],
    ['a run out of budget', (r) => ({ ...r, budget_exhausted: true, stopped: 'x' }), /ran out of its --max-cost budget/],
    ['a stopped run', (r) => ({ ...r, stopped: 'breaker' }), /stopped early: breaker/],
    ['errored cases', (r) => ({ ...r, errors: 1 }), /1 case\(s\) got no answer/],
    ['fewer repeats than the suite asks', (r) => r, /ran each case 1 time\(s\); the suite asks for 3/, { policy: { repeat: 3, case_pass_rate: 1 } }],
    ['a weaker case_pass_rate', (r) => ({ ...r, case_pass_rate: 0.5 }), /case_pass_rate 0\.5 is below the suite's 1/],
    ['a missing case', (r) => ({ ...r, results: r.results.slice(1), cases: 39, passed: 39 }), /1 case\(s\) that apply are not in it \(e\.g\. "case number 0"\)/],
    ['an extra case', (r) => ({ ...r, results: [...r.results, res('ghost', true)], cases: 41, passed: 41 }), /a case the suite does not apply to this version \("ghost"\)/],
    ['a duplicated case', (r) => ({ ...r, results: [...r.results.slice(1), r.results[1]!], cases: 40 }), /case "case number 1" appears twice/],
    ['counts that do not match the results', (r) => ({ ...r, passed: 40, results: r.results.map((x, i) => (i === 0 ? { ...x, pass: false } : x)) }), /counts do not match its results \(40\/40 vs 39\/40\)/],
  ];
  it.each(cases)('is not evidence with %s', (_what, change, message, specOver) => {
    const problems = evidenceProblems(change(good()), { ...spec, ...specOver });
    expect(problems.join('\n')).toMatch(message);
  });
});

// ------------------------------------------------------------------ schema ↔ types
describe('the eval report schema and the TypeScript types agree', () => {
  type Keys<T> = Record<keyof T, true>;
  const schema = JSON.parse(readFileSync(new URL('../../schemas/eval-report.schema.json', import.meta.url), 'utf8')) as { $defs: Record<string, { properties: Record<string, unknown> }> };
  const keys = (def: string) => Object.keys(schema.$defs[def]!.properties).sort();
  it('report, result, run document and summary', () => {
    const report = {
      ok: true, prompt: true, version: true, sha256: true, resolved_sha256: true, deps: true, suite_sha256: true, provider: true, provider_type: true, model: true, parameters: true, config_sha256: true, cases: true, passed: true, failed: true, errors: true,
      pass_rate: true, min_pass_rate: true, repeat: true, case_pass_rate: true, regressions: true, improvements: true, unchanged: true, removed: true, new: true, baseline: true, tokens: true, cost_usd: true, latency: true,
      started_at: true, duration_ms: true, interrupted: true, stopped: true, budget_exhausted: true, max_cost_usd: true, shard: true, merged: true, results: true,
    } satisfies Keys<EvalReport>;
    expect(keys('report')).toEqual(Object.keys(report).sort());
    const result = {
      name: true, pass: true, error: true, output: true, latency_ms: true, tokens: true, cost_usd: true, cached: true, score: true, assertions: true, runs: true, runs_passed: true, pass_rate: true, repeats: true, index: true, change: true, baseline: true, attempts: true, retry_after_ms: true, reply: true,
    } satisfies Keys<ReportResult>;
    const resultSchema = (schema.$defs.report!.properties.results as { items: { properties: Record<string, unknown> } }).items.properties;
    expect(Object.keys(resultSchema).sort()).toEqual(Object.keys(result).sort());
    const doc = { kind: true, ok: true, summary: true, reports: true, skipped: true, selection: true } satisfies Keys<EvalRunDocument>;
    expect(keys('run_document')).toEqual(Object.keys(doc).sort());
    const summary = {
      prompts: true, reports: true, reports_ok: true, reports_failed: true, cases: true, passed: true, failed: true, errors: true, pass_rate: true, regressions: true, improvements: true, tokens: true, cost_usd: true,
      started_at: true, duration_ms: true, interrupted: true, budget_exhausted: true, max_cost_usd: true,
    } satisfies Keys<RunSummary>;
    expect(Object.keys((schema.$defs.run_document!.properties.summary as { properties: object }).properties).sort()).toEqual(Object.keys(summary).sort());
  });
});

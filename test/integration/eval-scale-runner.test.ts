/**
 * The runner at scale against a real HTTP server on 127.0.0.1: repeats (cache bypassed after the
 * first run), the --max-cost budget (never exceeded, in-flight estimates counted), one limiter
 * shared by several runs, and sessions of several jobs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import type { FakeServer } from '../helpers/servers/fake-llm.js';
import { openRegistry } from '../../src/registry/registry.js';
import { loadEvalTarget } from '../../src/eval/suite.js';
import { runEval, prepareEval } from '../../src/eval/runner.js';
import { Budget, estimateRequestCost } from '../../src/eval/budget.js';
import { Limiter } from '../../src/eval/limiter.js';
import { runSession } from '../../src/eval/session.js';
import { loadStoredReport } from '../../src/eval/report.js';
import { UsageError } from '../../src/errors.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const PRICES = ', prices: { m: { input_per_1m: 1000, output_per_1m: 1000 } }';

async function setup(o: { cases?: number; server?: Parameters<typeof startOpenAIServer>[0]; prices?: string; assert?: string; suiteDefaults?: string } = {}) {
  const server: FakeServer = await startOpenAIServer(o.server);
  cleanups.push(() => server.close());
  const reg: TempRegistry = makeRegistry({
    config: `providers:
  p: { type: openai, base_url: "${server.url}"${o.prices ?? PRICES} }
  q: { type: openai, base_url: "${server.url}"${o.prices ?? PRICES} }
eval: { concurrency: 4, timeout_ms: 5000, retries: 0 }
`,
  });
  cleanups.push(() => reg.cleanup());
  reg.write('prompts/t/1.0.0.yaml', `id: t
version: 1.0.0
model: { provider: p, name: m, parameters: { max_tokens: 10 } }
inputs: { type: object, required: [q], properties: { q: { type: string } }, additionalProperties: false }
template: "Q: {{q}}"
`);
  const lines = [o.suiteDefaults ?? '', 'cases:'];
  for (let i = 0; i < (o.cases ?? 6); i++) lines.push(`  - { name: c${i}, vars: { q: "question ${i}" }, assert: ${o.assert ?? '[{ type: contains, value: "Q:" }]'} }`);
  reg.write('prompts/t/evals.yaml', `${lines.join('\n')}\n`);
  const registry = openRegistry(reg.dir);
  return { server, reg, registry, target: () => loadEvalTarget(registry, 't', '1.0.0') };
}

describe('--repeat', () => {
  it('runs each case N times; the first run may come from the cache, the repeats always ask the provider', async () => {
    const { server, registry, target } = await setup({ cases: 3 });
    const first = await runEval({ registry, target: target(), env: {}, repeat: 3 });
    expect(server.requests.length).toBe(9);
    expect(first.results.map((r) => [r.name, r.runs, r.runs_passed, r.pass])).toEqual([['c0', 3, 3, true], ['c1', 3, 3, true], ['c2', 3, 3, true]]);
    expect(first.results[0]!.repeats!.map((x) => x.cached)).toEqual([false, false, false]);
    const again = await runEval({ registry, target: target(), env: {}, repeat: 3 });
    // run 1 of each case from the cache, runs 2 and 3 fresh
    expect(server.requests.length).toBe(9 + 6);
    expect(again.results[0]!.repeats!.map((x) => x.cached)).toEqual([true, false, false]);
    expect(again.repeat).toBe(3);
  });
  it('a flaky case passes at its case_pass_rate and fails above it', async () => {
    let n = 0;
    const { registry, target } = await setup({ cases: 1, server: { respond: () => ({ type: 'ok', content: ++n % 4 === 0 ? 'nope' : 'Q: yes' }) } });
    const lax = await runEval({ registry, target: target(), env: {}, repeat: 4, casePassRate: 0.75, cacheMode: 'off' });
    expect(lax.results[0]).toMatchObject({ pass: true, runs: 4, runs_passed: 3, pass_rate: 0.75, output: 'Q: yes' });
    const strict = await runEval({ registry, target: target(), env: {}, repeat: 4, casePassRate: 1, cacheMode: 'off' });
    expect(strict.results[0]).toMatchObject({ pass: false, runs_passed: 3, output: 'nope' });
    expect(strict.results[0]!.assertions.find((a) => !a.pass)?.message).toContain('expected output to contain "Q:"');
  });
});

describe('--max-cost', () => {
  it('never starts a request whose estimate would take spent + in flight over the limit; marks budget_exhausted', async () => {
    const { server, registry, target } = await setup({ cases: 20, server: { latencyMs: 20, respond: () => ({ type: 'ok', content: 'Q: ok', usage: { input: 5, output: 10 } }) } });
    const t = target();
    const est = estimateRequestCost({ messages: [{ role: 'user', content: 'Q: question 1' }], parameters: { max_tokens: 10 }, model: 'm' }, { m: { input_per_1m: 1000, output_per_1m: 1000 } }, 'openai')!;
    const actual = (5 + 10) * 1000 / 1e6;
    const max = est * 5.5;
    const budget = new Budget(max);
    let peakCommitted = 0;
    const r = await runEval({ registry, target: t, env: {}, cacheMode: 'off', concurrency: 4, budget, onResult: () => (peakCommitted = Math.max(peakCommitted, budget.spent + budget.inFlight)) });
    expect(r.budget_exhausted).toBe(true);
    expect(r.stopped).toMatch(/the --max-cost budget of \$[\d.]+ is exhausted/);
    // what was spent stays within the limit, and so did every commitment along the way
    expect(budget.spent).toBeLessThanOrEqual(max + 1e-12);
    expect(peakCommitted).toBeLessThanOrEqual(max + 1e-12);
    expect(server.requests.length).toBe(r.results.length);
    expect(r.results.length).toBeGreaterThanOrEqual(5);
    expect(r.results.length).toBeLessThan(20);
    expect(budget.spent).toBeCloseTo(actual * r.results.length, 9);
    // at most as many requests in flight as the estimates allow (5 of them), though concurrency is 4 here
    expect(server.maxInFlight).toBeLessThanOrEqual(4);
  });
  it('counts in-flight estimates: with room for 2 estimates, at most 2 requests are ever in flight', async () => {
    const { server, registry, target } = await setup({ cases: 10, server: { latencyMs: 30, respond: () => ({ type: 'ok', content: 'Q: ok', usage: { input: 1, output: 1 } }) } });
    const t = target();
    const est = estimateRequestCost({ messages: [{ role: 'user', content: 'Q: question 1' }], parameters: { max_tokens: 10 }, model: 'm' }, { m: { input_per_1m: 1000, output_per_1m: 1000 } }, 'openai')!;
    const r = await runEval({ registry, target: t, env: {}, cacheMode: 'off', concurrency: 8, budget: new Budget(est * 2.5) });
    expect(server.maxInFlight).toBeLessThanOrEqual(2);
    // actual costs are far below the estimates, so the budget lasts for every case
    expect(r.results.length).toBe(10);
    expect(r.budget_exhausted).toBe(false);
  });
  it('cached responses cost nothing against the budget', async () => {
    const { server, registry, target } = await setup({ cases: 4 });
    await runEval({ registry, target: target(), env: {} });
    const before = server.requests.length;
    const r = await runEval({ registry, target: target(), env: {}, budget: new Budget(0) });
    expect(server.requests.length).toBe(before);
    expect(r.results.every((x) => x.cached)).toBe(true);
    expect(r.budget_exhausted).toBe(false);
  });
  it('a model without a price is a usage error before any request', async () => {
    const { server, registry, target } = await setup({ prices: '' });
    expect(() => prepareEval({ registry, target: target(), env: {}, budget: new Budget(1) })).toThrow(UsageError);
    expect(() => prepareEval({ registry, target: target(), env: {}, budget: new Budget(1) })).toThrow(/--max-cost needs the price of model "m" of provider "p"/);
    expect(server.requests.length).toBe(0);
  });
});

describe('sessions of several runs', () => {
  it('one limiter bounds the requests in flight across runs', async () => {
    const { server, registry, target } = await setup({ cases: 12, server: { latencyMs: 25 } });
    const limiter = new Limiter(3);
    await Promise.all(['p', 'q'].map((provider) => runEval({ registry, target: target(), provider, env: {}, cacheMode: 'off', concurrency: 8, limiter })));
    expect(server.requests.length).toBe(24);
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
  });
  it('runs jobs side by side, stores each report under its provider, and checks every job before the first request', async () => {
    const { server, registry, target } = await setup({ cases: 4, server: { latencyMs: 10 } });
    const policy = { repeat: 1, case_pass_rate: 1 };
    const out = await runSession({
      registry,
      jobs: [{ target: target(), provider: 'p', policy, minPassRate: null }, { target: target(), provider: 'q', policy, minPassRate: null }],
      concurrency: 2,
      cacheMode: 'off',
      maxCostUsd: null,
      env: {},
    });
    expect(out.reports.map((r) => [r.provider, r.passed])).toEqual([['p', 4], ['q', 4]]);
    expect(server.maxInFlight).toBeLessThanOrEqual(2);
    expect(loadStoredReport(registry, 't', '1.0.0')?.provider).toBe('p');
    expect(loadStoredReport(registry, 't', '1.0.0', 'q')?.provider).toBe('q');
    const before = server.requests.length;
    await expect(
      runSession({ registry, jobs: [{ target: target(), provider: 'p', policy, minPassRate: null }, { target: target(), provider: 'nope', policy, minPassRate: null }], concurrency: 2, cacheMode: 'off', maxCostUsd: null, env: {} }),
    ).rejects.toThrow(/unknown provider "nope"/);
    expect(server.requests.length).toBe(before);
  });
  it('one budget for the whole session: a later job is refused once the first spent it', async () => {
    // usage as estimated: 7 input tokens (ceil(14/4) + 4) and max_tokens 10 out
    const { registry, target } = await setup({ cases: 4, server: { respond: () => ({ type: 'ok', content: 'Q: ok', usage: { input: 7, output: 10 } }) } });
    const policy = { repeat: 1, case_pass_rate: 1 };
    const each = (7 + 10) * 1000 / 1e6;
    const out = await runSession({
      registry,
      jobs: [{ target: target(), provider: 'p', policy, minPassRate: null }, { target: target(), provider: 'q', policy, minPassRate: null }],
      concurrency: 1,
      cacheMode: 'off',
      maxCostUsd: each * 4.5, // four requests fit, the fifth does not
      env: {},
    });
    const ran = out.reports.reduce((n, r) => n + r.cases, 0);
    expect(ran).toBe(4);
    expect(out.reports.some((r) => r.budget_exhausted)).toBe(true);
    expect(out.reports.every((r) => r.max_cost_usd === each * 4.5)).toBe(true);
    expect(out.reports.reduce((n, r) => n + (r.cost_usd ?? 0), 0)).toBeLessThanOrEqual(each * 4.5);
  });
});

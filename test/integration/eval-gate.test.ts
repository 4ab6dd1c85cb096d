/** runGate, called directly as `promote` calls it: suite runs, stored-report reuse, min_pass_rate, no_regressions. */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import type { FakeServer } from '../helpers/servers/fake-llm.js';
import { openRegistry } from '../../src/registry/registry.js';
import { runGate, GateUnavailable } from '../../src/eval/gate.js';
import { loadStoredReport } from '../../src/eval/report.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const version = (v: string, content: string, provider = 'llm') => `id: t
version: ${v}
model: { provider: ${provider}, name: m1 }
inputs: { type: object, required: [q], properties: { q: { type: string } }, additionalProperties: false }
template: "${content} {{q}}"
`;

const SUITE = `cases:
  - { name: alpha, vars: { q: alpha }, assert: [{ type: contains, value: GOOD }] }
  - { name: beta, vars: { q: beta }, assert: [{ type: contains, value: GOOD }] }
  - { name: gamma, vars: { q: gamma }, assert: [{ type: contains, value: GOOD }] }
  - { name: delta, vars: { q: delta }, assert: [{ type: contains, value: GOOD }] }
`;

async function setup(evalCfg = '{ retries: 0 }') {
  // the "model" answers GOOD unless the prompt says BAD for that case
  const server: FakeServer = await startOpenAIServer({
    respond: (req) => {
      const text = String(req.body.messages?.[0]?.content ?? '');
      const bad = /BAD\(([a-z,]*)\)/.exec(text)?.[1]?.split(',') ?? [];
      const q = text.split(' ').pop()!;
      return { type: 'ok', content: bad.includes(q) ? 'meh' : 'GOOD' };
    },
  });
  cleanups.push(() => server.close());
  const reg: TempRegistry = makeRegistry({
    config: `environments:
  staging: { gate: { min_pass_rate: 0.75 } }
  production: { requires: staging, gate: { no_regressions: true } }
providers:
  llm: { type: openai, base_url: "${server.url}" }
  offline: { type: echo }
eval: ${evalCfg}
`,
  });
  cleanups.push(() => reg.cleanup());
  reg.write('prompts/t/1.0.0.yaml', version('1.0.0', 'BAD(delta)'));
  reg.write('prompts/t/1.1.0.yaml', version('1.1.0', 'BAD(alpha,beta)'));
  reg.write('prompts/t/1.2.0.yaml', version('1.2.0', 'BAD()'));
  reg.write('prompts/t/evals.yaml', SUITE);
  return { server, reg, registry: openRegistry(reg.dir) };
}

describe('runGate', () => {
  it('passes a version meeting min_pass_rate and returns the summary to record', async () => {
    const { registry } = await setup();
    const out = await runGate({ registry, id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.75 }, baselineVersion: null });
    expect(out.passed).toBe(true);
    expect(out.failures).toEqual([]);
    expect(out.summary).toMatchObject({ pass_rate: 0.75, passed: 3, cases: 4, regressions: 0, provider: 'llm', model: 'm1' });
    expect(out.summary.suite_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(loadStoredReport(registry, 't', '1.0.0')?.passed).toBe(3);
  });

  it('refuses below min_pass_rate and names every failed case', async () => {
    const { registry } = await setup();
    const out = await runGate({ registry, id: 't', version: '1.1.0', env: 'staging', gate: { min_pass_rate: 0.75 }, baselineVersion: null });
    expect(out.passed).toBe(false);
    expect(out.failures[0]).toBe("pass rate 50.0% (2/4) is below the gate's min_pass_rate 75.0%");
    expect(out.failures.slice(1)).toEqual([
      'case "alpha" failed: expected output to contain "GOOD", got "meh"',
      'case "beta" failed: expected output to contain "GOOD", got "meh"',
    ]);
  });

  it('no_regressions compares with the version pinned in the target environment', async () => {
    const { registry } = await setup();
    const out = await runGate({ registry, id: 't', version: '1.1.0', env: 'production', gate: { no_regressions: true }, baselineVersion: '1.0.0' });
    expect(out.passed).toBe(false);
    expect(out.summary.regressions).toBe(2);
    expect(out.failures).toEqual([
      'regression: case "alpha" passes on 1.0.0 but fails on 1.1.0: expected output to contain "GOOD", got "meh"',
      'regression: case "beta" passes on 1.0.0 but fails on 1.1.0: expected output to contain "GOOD", got "meh"',
    ]);
    const better = await runGate({ registry, id: 't', version: '1.2.0', env: 'production', gate: { no_regressions: true }, baselineVersion: '1.0.0' });
    expect(better.passed).toBe(true);
    expect(better.summary).toMatchObject({ pass_rate: 1, regressions: 0 });
  });

  it('no_regressions refuses when the baseline could not be evaluated for a case that fails now', async () => {
    const { registry, reg } = await setup();
    // a baseline that cannot run case alpha (its inputs reject q: alpha): an error, not a fail
    reg.write('prompts/t/0.9.0.yaml', version('0.9.0', 'BAD()').replace('q: { type: string }', 'q: { type: string, enum: [beta, gamma, delta] }'));
    const out = await runGate({ registry, id: 't', version: '1.1.0', env: 'production', gate: { no_regressions: true }, baselineVersion: '0.9.0' });
    expect(out.passed).toBe(false);
    expect(out.failures[0]).toBe('regression: case "beta" passes on 0.9.0 but fails on 1.1.0: expected output to contain "GOOD", got "meh"');
    expect(out.failures[1]).toMatch(/^case "alpha" fails on 1\.1\.0 and could not be evaluated on 0\.9\.0 \(.+\): no_regressions cannot be checked$/);
    expect(out.failures).toHaveLength(2);
  });

  it('no baseline pinned yet: no_regressions has nothing to compare and passes', async () => {
    const { registry } = await setup();
    const out = await runGate({ registry, id: 't', version: '1.1.0', env: 'production', gate: { no_regressions: true }, baselineVersion: null });
    expect(out.passed).toBe(true);
  });

  it('reuses a stored report whose prompt sha256, suite sha256, provider and model match; re-runs when one changes', async () => {
    const { registry, server, reg } = await setup();
    const input = { registry, id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.5 }, baselineVersion: null };
    await runGate(input);
    expect(server.requests).toHaveLength(4);
    // cache off would not matter: the stored report is reused before any request is considered
    fs.rmSync(path.join(reg.dir, '.prompts', 'cache'), { recursive: true, force: true });
    await runGate(input);
    expect(server.requests).toHaveLength(4);
    // the suite changed: its sha256 no longer matches the report
    reg.write('prompts/t/evals.yaml', `${SUITE}  - { name: epsilon, vars: { q: epsilon } }\n`);
    const out = await runGate(input);
    expect(server.requests).toHaveLength(9);
    expect(out.summary.cases).toBe(5);
    // another provider for the gate: not reusable either
    const echo = await runGate({ ...input, gate: { min_pass_rate: 0, provider: 'offline' } });
    expect(echo.summary.provider).toBe('offline');
    expect(server.requests).toHaveLength(9);
  });

  it('evaluates what the environment runs: its overrides.model applied; a stored report with other parameters is not reused', async () => {
    const { server, reg } = await setup();
    const input = { id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.5 }, baselineVersion: null };
    await runGate({ registry: openRegistry(reg.dir), ...input });
    expect(server.requests).toHaveLength(4);
    const cfg = path.join(reg.dir, 'prompts.config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('staging: { gate: { min_pass_rate: 0.75 } }', 'staging: { gate: { min_pass_rate: 0.75 }, overrides: { model: { name: m2, parameters: { temperature: 0.1 } } } }'));
    const out = await runGate({ registry: openRegistry(reg.dir), ...input });
    expect(server.requests).toHaveLength(8);
    expect(server.requests.slice(4).map((r) => [r.body.model, r.body.temperature])).toEqual(Array(4).fill(['m2', 0.1]));
    expect(out.summary.model).toBe('m2');
    // the same overrides again: the stored report is reused
    await runGate({ registry: openRegistry(reg.dir), ...input });
    expect(server.requests).toHaveLength(8);
  });

  it('a stored report with errored cases is not reused: the gate asks again', async () => {
    const { registry, server, reg } = await setup();
    const input = { registry, id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.75 }, baselineVersion: null };
    await runGate(input);
    expect(server.requests).toHaveLength(4);
    const file = path.join(reg.dir, '.prompts/evals/t/1.0.0.json');
    const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as { errors: number; passed: number; pass_rate: number; results: { name: string; pass: boolean; error: string | null }[] };
    Object.assign(stored.results.find((r) => r.name === 'alpha')!, { pass: false, error: 'provider "llm": HTTP 500' });
    Object.assign(stored, { errors: 1, passed: 2, pass_rate: 0.5 });
    fs.writeFileSync(file, JSON.stringify(stored));
    const out = await runGate(input);
    expect(out.passed).toBe(true);
    expect(out.summary.passed).toBe(3);
  });

  it('a prompt without a suite makes the gate unavailable, saying how to proceed', async () => {
    const { registry, reg } = await setup();
    fs.rmSync(path.join(reg.dir, 'prompts/t/evals.yaml'));
    const err = await runGate({ registry, id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.5 }, baselineVersion: null }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateUnavailable);
    expect((err as Error).message).toContain('add prompts/t/evals.yaml');
    expect((err as Error).message).toContain('--skip-eval --reason');
  });

  it('an eval where no case could be evaluated refuses the promotion, even with min_pass_rate 0', async () => {
    const { registry, server } = await setup();
    await server.close();
    const out = await runGate({ registry, id: 't', version: '1.2.0', env: 'staging', gate: { min_pass_rate: 0 }, baselineVersion: null });
    expect(out.passed).toBe(false);
    expect(out.failures[0]).toContain('no case could be evaluated: provider "llm": network error');
  });

  it('an eval stopped by the circuit breaker refuses the promotion and is not stored for reuse', async () => {
    const { registry, server } = await setup('{ retries: 0, max_consecutive_failures: 2, concurrency: 1 }');
    await server.close();
    const out = await runGate({ registry, id: 't', version: '1.2.0', env: 'staging', gate: { min_pass_rate: 0 }, baselineVersion: null });
    expect(out.passed).toBe(false);
    expect(out.failures[0]).toContain('the eval stopped early');
    expect(loadStoredReport(registry, 't', '1.2.0')).toBeUndefined();
  });

  it('a missing API key: the hint names the way out promote has (--skip-eval), not eval\'s --replay', async () => {
    const { reg } = await setup();
    const cfg = path.join(reg.dir, 'prompts.config.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('llm: { type: openai, ', 'llm: { type: openai, api_key_env: GATE_TEST_KEY_UNSET, '));
    const env = { ...process.env };
    delete env.GATE_TEST_KEY_UNSET;
    const ctx = { env, info: () => undefined } as unknown as Parameters<typeof runGate>[0]['ctx'];
    const err = await runGate({ registry: openRegistry(reg.dir), id: 't', version: '1.0.0', env: 'staging', gate: { min_pass_rate: 0.5 }, baselineVersion: null, ctx }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('GATE_TEST_KEY_UNSET is not set');
    expect((err as { hint?: string }).hint).toBe('export GATE_TEST_KEY_UNSET=<your key>, or bypass the gate of "staging" with --skip-eval --reason <text> (recorded)');
    expect((err as { exitCode?: number }).exitCode).toBe(2);
  });

  it('an empty suite for the version refuses the promotion', async () => {
    const { registry, reg } = await setup();
    reg.write('prompts/t/evals.yaml', 'cases:\n  - { name: later, versions: ">=9.0.0", vars: { q: x } }\n');
    const out = await runGate({ registry, id: 't', version: '1.0.0', env: 'staging', gate: {}, baselineVersion: null });
    expect(out.passed).toBe(false);
    expect(out.failures).toEqual(['the suite has no cases that apply to t@1.0.0']);
  });
});

/**
 * The config and file formats of the runtime: providers' limits/retries/breaker/prices, budgets,
 * a version's fallback — schemas, validate, and what `prompts build` puts in a bundle (never a
 * key; a bundle that carries a credential is refused), and loadBundle's check of it.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSlowPath, checkText, type CheckContext } from '../../src/validate/checks/index.js';
import { openBundle } from '../../src/sdk/load-bundle.js';
import { IntegrityError } from '../../src/sdk/errors.js';
import { UsageError } from '../../src/errors.js';
import { runInProcess } from '../helpers/in-process.js';
import { chatPrompt, runtimeFixture, type RuntimeFixture } from './runtime-fixture.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
function fixture(o: Parameters<typeof runtimeFixture>[0]): RuntimeFixture {
  const fx = runtimeFixture(o);
  cleanups.push(() => fx.reg.cleanup());
  return fx;
}

const ctx: CheckContext = { providers: ['main', 'local'], environments: ['production'], promptsDir: 'prompts' };
const P = 'prompts/support/triage/1.0.0.yaml';

describe('validate: fallback', () => {
  beforeAll(() => loadSlowPath());
  it('a fallback provider must exist in the config (with did-you-mean)', () => {
    const p = checkText('prompt', P, chatPrompt({ extra: 'fallback: { provider: locl, model: llama3 }\n' }), ctx).problems;
    expect(p).toEqual([expect.objectContaining({ rule: 'provider-unknown', line: 15, column: 23, message: expect.stringMatching(/unknown provider "locl"; did you mean "local"/) })]);
    expect(checkText('prompt', P, chatPrompt({ extra: 'fallback: { provider: local, model: llama3, text: "later" }\n' }), ctx).problems).toEqual([]);
    expect(checkText('prompt', P, chatPrompt({ extra: 'fallback: { text: "later" }\n' }), ctx).problems).toEqual([]);
  });

  it('the schema wants a provider with a model, or a text', () => {
    for (const fb of ['{}', '{ provider: local }', '{ model: llama3 }', '{ parameters: {} , text: x }', '{ provider: local, model: m, extra: 1 }']) {
      const p = checkText('prompt', P, chatPrompt({ extra: `fallback: ${fb}\n` }), ctx).problems;
      expect(p.length, fb).toBeGreaterThan(0);
      expect(p.every((x) => x.rule.startsWith('schema')), `${fb}: ${JSON.stringify(p)}`).toBe(true);
    }
  });

  it('the config schema takes limits, retries, breaker and budgets, and rejects nonsense', async () => {
    const fx = fixture({
      providers: '  main: { type: openai, api_key_env: K, retries: 2, timeout_ms: 5000, limits: { requests_per_minute: 500, tokens_per_minute: 90000, concurrency: 8 }, breaker: { failures: 5, cooldown_ms: 10000 }, prices: { test-model: { input_per_1m: 0.15, output_per_1m: 0.6 } } }',
      prompts: { 'support/triage@1.0.0': chatPrompt() },
      budget: '{ usd_per_hour: 5, usd_per_day: 50 }',
    });
    const ok = await runInProcess(fx.reg.dir, ['validate']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    fx.reg.write('prompts.config.yaml', 'providers:\n  main: { type: openai, limits: { concurrency: 0, rpm: 5 } }\nbudget: { usd_per_hour: -1 }\n');
    const bad = await runInProcess(fx.reg.dir, ['--json', 'validate']);
    expect(bad.code).toBe(2);
  });
});

describe('prompts build: the runtime config in the bundle', () => {
  const SENTINEL = 'sk-SENTINEL-build-0123456789';

  it('carries the providers the pins use (and their fallbacks), the budget and config_digest — never a key', async () => {
    const fx = fixture({
      providers: '  main: { type: openai, base_url: "http://127.0.0.1:1/v1", api_key_env: MAIN_KEY, limits: { concurrency: 4 }, prices: { test-model: { input_per_1m: 1, output_per_1m: 2 } } }\n  local: { type: openai, base_url: "http://127.0.0.1:2/v1" }\n  unused: { type: anthropic, api_key_env: OTHER_KEY }',
      prompts: { 'support/triage@1.0.0': chatPrompt({ extra: 'fallback: { provider: local, model: llama3, text: "later" }\n' }) },
      budget: '{ usd_per_hour: 5 }',
    });
    const r = await runInProcess(fx.reg.dir, ['build', '--env', 'production'], { MAIN_KEY: SENTINEL, OTHER_KEY: SENTINEL });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(SENTINEL);
    const b = JSON.parse(r.stdout) as Record<string, unknown> & { providers: Record<string, unknown>; prompts: Record<string, { fallback?: unknown }> };
    expect(Object.keys(b.providers)).toEqual(['local', 'main']);
    expect(b.providers.main).toEqual({ type: 'openai', base_url: 'http://127.0.0.1:1/v1', api_key_env: 'MAIN_KEY', limits: { concurrency: 4 }, prices: { 'test-model': { input_per_1m: 1, output_per_1m: 2 } } });
    expect(b.budget).toEqual({ usd_per_hour: 5 });
    expect(b.config_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.prompts['support/triage']!.fallback).toEqual({ provider: 'local', model: 'llama3', text: 'later' });
    // and it loads, with the fallback on the handle
    expect(openBundle(b).get('support/triage').fallback).toEqual({ provider: 'local', model: 'llama3', text: 'later' });
  });

  it('an environment budget replaces the top-level one', async () => {
    const fx = fixture({ providers: '  main: { type: echo }', prompts: { 'support/triage@1.0.0': chatPrompt() }, budget: '{ usd_per_hour: 5 }' });
    fx.reg.write('prompts.config.yaml', 'environments:\n  production: { budget: { usd_per_day: 1 } }\nbudget: { usd_per_hour: 5 }\nproviders:\n  main: { type: echo }\n');
    expect(fx.bundle().budget).toEqual({ usd_per_day: 1 });
  });

  it('refuses a provider whose headers or base_url carry a credential', async () => {
    for (const [cfg, msg] of [
      ['{ type: openai, headers: { Authorization: "Bearer sk-live" } }', /sets header "Authorization", which looks like a credential/],
      ['{ type: openai, headers: { x-api-key: "k" } }', /sets header "x-api-key"/],
      ['{ type: openai, base_url: "https://user:secret@gw.example.com/v1" }', /credentials in its base_url/],
    ] as const) {
      const fx = fixture({ providers: `  main: ${cfg}`, prompts: { 'support/triage@1.0.0': chatPrompt() } });
      const r = await runInProcess(fx.reg.dir, ['build', '--env', 'production']);
      expect(r.code, cfg).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr).not.toContain('secret');
      expect(r.stdout).toBe('');
    }
  });

  it('refuses a JSON prompt whose fallback text is not a valid reply', async () => {
    const fx = fixture({ providers: '  main: { type: echo }', prompts: { 'support/triage@1.0.0': chatPrompt({ json: true, extra: 'fallback: { text: \'{"cat": 1}\' }\n' }) } });
    const r = await runInProcess(fx.reg.dir, ['build', '--env', 'production']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/fallback\.text does not match output\.schema/);
  });
});

describe('loadBundle: the runtime config is checked', () => {
  it('a provider edited in the bundle (key sent elsewhere) is refused', () => {
    const fx = fixture({ providers: '  main: { type: openai, base_url: "http://127.0.0.1:1/v1", api_key_env: K }', prompts: { 'support/triage@1.0.0': chatPrompt() } });
    const b = fx.bundle() as unknown as { providers: Record<string, { base_url: string; api_key_env: string }> };
    b.providers.main!.base_url = 'https://attacker.example/v1';
    expect(() => openBundle(b)).toThrow(IntegrityError);
    const c = fx.bundle() as unknown as { providers: Record<string, { api_key_env: string }> };
    c.providers.main!.api_key_env = 'AWS_SECRET_ACCESS_KEY';
    expect(() => openBundle(c)).toThrow(/do not match config_digest/);
  });

  it('a bundle of an older build (no providers) still renders; run() says what is missing', async () => {
    const fx = fixture({ providers: '  main: { type: echo }', prompts: { 'support/triage@1.0.0': chatPrompt() } });
    const b = fx.bundle() as unknown as Record<string, unknown>;
    delete b.providers;
    delete b.budget;
    delete b.config_digest;
    const h = openBundle(b).get('support/triage');
    expect(h.render({ ticket: 'x' }).messages).toHaveLength(2);
    await expect(h.run({ ticket: 'x' })).rejects.toThrow(UsageError);
  });
});

describe('prompts build: budget without prices', () => {
  it('warns when a budget is set and a pinned model has no price', async () => {
    const fx = runtimeFixture({ providers: '  main: { type: openai, api_key_env: K }', prompts: { 'support/triage@1.0.0': chatPrompt() }, budget: '{ usd_per_hour: 1 }' });
    cleanups.push(() => fx.reg.cleanup());
    const r = await runInProcess(fx.reg.dir, ['build', '--env', 'production']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: a budget is set, but provider "main" has no price for model "test-model" (support/triage)');
  });
});

describe('loadRegistry: run() with the config on disk', () => {
  it('uses the registry config\'s providers and budget', async () => {
    const { loadRegistry } = await import('../../src/sdk/load-registry.js');
    const { InMemoryBudgetStore } = await import('../../src/sdk/budget.js');
    const fx = runtimeFixture({ providers: '  main: { type: echo }', prompts: { 'support/triage@1.0.0': chatPrompt() }, budget: '{ usd_per_hour: 1 }' });
    cleanups.push(() => fx.reg.cleanup());
    const set = await loadRegistry({ cwd: fx.reg.dir, env: 'production', budgetStore: new InMemoryBudgetStore() });
    const r = await set.get('support/triage', { key: 'k' }).run({ ticket: 'x' });
    expect(r).toMatchObject({ version: '1.0.0', variant: 'stable', provider: 'main', cost_usd: 0, output: 'system: You triage tickets.\n\nuser: Ticket: x' });
  });
});

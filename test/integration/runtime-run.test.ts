/**
 * handle.run() against local OpenAI- and Anthropic-compatible servers: the wire format and the
 * result, keys read at call time, each resilience rule (retries with Retry-After, timeouts, no
 * retry on 4xx, the breaker closed → open → half-open, concurrency, requests and tokens per
 * minute), chaos (20% 429s + 10% 500s), budgets (shared store, in-flight reservations),
 * fallbacks, typed errors and cancellation.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openBundle } from '../../src/sdk/load-bundle.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { BudgetExceededError, InputValidationError, OutputValidationError, ProviderRequestError, ProviderUnavailableError } from '../../src/sdk/errors.js';
import { RUNTIME_DEFAULTS, providerRuntime } from '../../src/providers/resilience.js';
import { UsageError } from '../../src/errors.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import { startAnthropicServer } from '../helpers/servers/anthropic.js';
import { chaos, type FakeServer, type FakeServerOptions } from '../helpers/servers/fake-llm.js';
import { chatPrompt, KEY_ENV, runtimeFixture, type RuntimeFixture } from './runtime-fixture.js';
import type { PromptSet } from '../../src/sdk/types.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => {
  RUNTIME_DEFAULTS.backoffBaseMs = 1; // retries in ms, not seconds
});

let seq = 0;
/** A fresh provider name per test: resilience state is per process and per provider. */
const uniq = (p: string): string => `${p}${++seq}`;

async function server(kind: 'openai' | 'anthropic' = 'openai', o: Omit<FakeServerOptions, 'kind'> = {}): Promise<FakeServer> {
  const s = kind === 'openai' ? await startOpenAIServer(o) : await startAnthropicServer(o);
  cleanups.push(() => s.close());
  return s;
}

function fixture(o: Parameters<typeof runtimeFixture>[0]): RuntimeFixture {
  const fx = runtimeFixture(o);
  cleanups.push(() => fx.reg.cleanup());
  return fx;
}

function setOf(fx: RuntimeFixture, o: { key?: string; store?: InMemoryBudgetStore } = {}): PromptSet {
  return openBundle(fx.bundle(), { processEnv: { [KEY_ENV]: o.key ?? 'sk-test-123' }, budgetStore: o.store ?? new InMemoryBudgetStore() });
}

async function simple(o: { kind?: 'openai' | 'anthropic'; server?: Omit<FakeServerOptions, 'kind'>; provider?: string; prompt?: Parameters<typeof chatPrompt>[0]; budget?: string; more?: string; key?: string } = {}) {
  const s = await server(o.kind, o.server);
  const name = uniq('main');
  const fx = fixture({
    providers: `  ${name}: { type: ${o.kind ?? 'openai'}, base_url: "${s.url}", api_key_env: ${KEY_ENV}${o.provider ?? ''} }\n${o.more ?? ''}`,
    prompts: { 'support/triage@1.0.0': chatPrompt({ provider: name, ...o.prompt }) },
    budget: o.budget,
  });
  const store = new InMemoryBudgetStore();
  const set = setOf(fx, { key: o.key, store });
  return { s, name, fx, set, store, h: set.get('support/triage') };
}

describe('run(): the call and its result', () => {
  it('OpenAI wire format: overrides applied, Bearer key, and the documented result', async () => {
    const { s, h, name } = await simple({ provider: ', prices: { test-model: { input_per_1m: 2, output_per_1m: 4 } }', server: { respond: () => ({ type: 'ok', content: 'billing', usage: { input: 100, output: 50 } }) } });
    const r = await h.run({ ticket: 'charged twice' });
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-123');
    expect(req.body).toMatchObject({ model: 'test-model', temperature: 0.1, max_tokens: 400, messages: [{ role: 'system', content: 'You triage tickets.' }, { role: 'user', content: 'Ticket: charged twice' }] });
    expect(r).toMatchObject({ id: 'support/triage', version: '1.0.0', variant: 'stable', output: 'billing', data: null, usage: { input: 100, output: 50, total: 150 }, attempts: 1, provider: name, model: 'test-model', fallback: null });
    expect(r.sha256).toBe(h.sha256);
    expect(r.cost_usd).toBeCloseTo((100 * 2 + 50 * 4) / 1e6, 12);
    expect(r.latency_ms).toBeGreaterThan(0);
  });

  it('Anthropic wire format: x-api-key, anthropic-version, system on top; JSON output parsed into data', async () => {
    const { s, h } = await simple({ kind: 'anthropic', prompt: { json: true }, server: { respond: () => ({ type: 'ok', content: '```json\n{"category":"billing"}\n```' }) } });
    const r = await h.run({ ticket: 'refund' });
    const req = s.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('sk-test-123');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.body).toMatchObject({ system: 'You triage tickets.', messages: [{ role: 'user', content: 'Ticket: refund' }], max_tokens: 400 });
    expect(r.data).toEqual({ category: 'billing' });
  });

  it('get(id, { key }) gives the stable arm today, and the same handle for the same arm', async () => {
    const { set, h } = await simple();
    const k = set.get('support/triage', { key: 'user-42' });
    expect(k.variant).toBe('stable');
    expect(k).toBe(h);
    expect((await k.run({ ticket: 'x' })).variant).toBe('stable');
  });

  it('reads the key from the environment variable at call time (a rotated key is used at once)', async () => {
    const { s, fx } = await simple();
    const env: NodeJS.ProcessEnv = { [KEY_ENV]: 'sk-first' };
    const set = openBundle(fx.bundle(), { processEnv: env, budgetStore: new InMemoryBudgetStore() });
    await set.get('support/triage').run({ ticket: 'a' });
    env[KEY_ENV] = 'sk-second';
    await set.get('support/triage').run({ ticket: 'b' });
    expect(s.requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-first', 'Bearer sk-second']);
    delete env[KEY_ENV];
    const e = await set.get('support/triage').run({ ticket: 'c' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderRequestError);
    expect((e as Error).message).toContain(`the environment variable ${KEY_ENV} is not set`);
    expect(s.requests).toHaveLength(2);
  });

  it('invalid inputs throw InputValidationError before anything is sent', async () => {
    const { s, h } = await simple();
    await expect(h.run({ ticket: '' })).rejects.toBeInstanceOf(InputValidationError);
    expect(s.requests).toHaveLength(0);
  });

  it('a JSON reply that breaks output.schema throws OutputValidationError', async () => {
    const { h } = await simple({ prompt: { json: true }, server: { respond: () => ({ type: 'ok', content: '{"nope": 1}' }) } });
    await expect(h.run({ ticket: 'x' })).rejects.toBeInstanceOf(OutputValidationError);
  });

  it('a provider the bundle does not carry is a clear UsageError', async () => {
    const fx = fixture({ providers: '  other: { type: echo }', prompts: { 'support/triage@1.0.0': chatPrompt({ provider: 'ghost' }) } });
    const e = await setOf(fx).get('support/triage').run({ ticket: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain('provider "ghost", which is not in the production bundle');
  });
});

describe('run(): retries, timeouts and the circuit breaker', () => {
  it('retries 429 (honouring retry-after-ms), 500, malformed JSON and a reset, counting attempts', async () => {
    const { s, h } = await simple();
    s.script.push({ type: 'status', status: 429, headers: { 'retry-after-ms': '250' } }, { type: 'status', status: 500 }, { type: 'malformed' }, { type: 'reset' });
    const t0 = Date.now();
    const r = await h.run({ ticket: 'x' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(r.attempts).toBe(5);
    expect(s.requests).toHaveLength(5);
  });

  it('a 429 with Retry-After pauses every call to that provider, not only the one that got it', async () => {
    const { s, h } = await simple();
    s.script.push({ type: 'status', status: 429, headers: { 'retry-after-ms': '300' } });
    await h.run({ ticket: 'first' });
    const t0 = Date.now();
    s.script.push({ type: 'status', status: 429, headers: { 'retry-after-ms': '300' } });
    const a = h.run({ ticket: 'a' });
    await new Promise((r) => setTimeout(r, 50));
    await h.run({ ticket: 'b' }); // started after the 429: waits for the pause too
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await a;
  });

  it('times a hung request out (timeout_ms) and retries it', async () => {
    const { s, h } = await simple({ provider: ', timeout_ms: 150' });
    s.script.push({ type: 'hang' });
    const r = await h.run({ ticket: 'x' });
    expect(r.attempts).toBe(2);
  });

  it('does not retry a 400 and throws ProviderRequestError with the provider message', async () => {
    const { s, h } = await simple();
    s.script.push({ type: 'status', status: 400, message: "Invalid value for 'temperature'" });
    const e = await h.run({ ticket: 'x' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ProviderRequestError);
    expect((e as ProviderRequestError).status).toBe(400);
    expect((e as Error).message).toContain("Invalid value for 'temperature'");
    expect(s.requests).toHaveLength(1);
  });

  it('exhausted retries throw ProviderUnavailableError (retries_exhausted) after 1 + retries attempts', async () => {
    const { s, h } = await simple({ provider: ', retries: 2, breaker: { failures: 50 }' });
    s.script.push(...Array.from({ length: 3 }, () => ({ type: 'status' as const, status: 503, message: 'overloaded' })));
    const e = (await h.run({ ticket: 'x' }).catch((x: unknown) => x)) as ProviderUnavailableError;
    expect(e).toBeInstanceOf(ProviderUnavailableError);
    expect(e.reason).toBe('retries_exhausted');
    expect(e.attempts).toBe(3);
    expect(e.message).toContain('HTTP 503: overloaded');
    expect(s.requests).toHaveLength(3);
  });

  it('server down: the breaker opens after N failures, then calls fail fast without sending; half-open probe closes it', async () => {
    const { s, h, name } = await simple({ provider: ', retries: 1, breaker: { failures: 4, cooldown_ms: 300 }', server: { respond: () => ({ type: 'status', status: 500, message: 'down' }) } });
    for (let i = 0; i < 2; i++) await expect(h.run({ ticket: `x${i}` })).rejects.toMatchObject({ reason: 'retries_exhausted', attempts: 2 });
    expect(s.requests).toHaveLength(4);
    const rt = providerRuntime(name, { type: 'openai', base_url: s.url, api_key_env: KEY_ENV, retries: 1, breaker: { failures: 4, cooldown_ms: 300 } });
    expect(rt.breaker.state).toBe('open');
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => h.run({ ticket: `fast${i}` })));
    expect(results.every((r) => r.status === 'rejected' && (r.reason as ProviderUnavailableError).reason === 'circuit_open' && (r.reason as ProviderUnavailableError).attempts === 0)).toBe(true);
    expect(s.requests).toHaveLength(4); // nothing was sent while open
    await new Promise((r) => setTimeout(r, 320));
    expect(rt.breaker.state).toBe('half-open');
    // one probe: it fails, so the breaker opens again and the concurrent calls fail fast
    const probe = await Promise.allSettled([h.run({ ticket: 'p1' }), h.run({ ticket: 'p2' }), h.run({ ticket: 'p3' })]);
    expect(s.requests).toHaveLength(5);
    expect(probe.filter((r) => r.status === 'rejected' && (r.reason as ProviderUnavailableError).reason === 'circuit_open')).toHaveLength(3);
    expect(rt.breaker.state).toBe('open');
    await new Promise((r) => setTimeout(r, 320));
    s.script.push({ type: 'ok', content: 'back' });
    expect((await h.run({ ticket: 'probe' })).output).toBe('back');
    expect(rt.breaker.state).toBe('closed');
  });

  it('429s do not open the breaker (the endpoint is alive)', async () => {
    const { s, h, name } = await simple({ provider: ', retries: 10, breaker: { failures: 2 }' });
    s.script.push(...Array.from({ length: 6 }, () => ({ type: 'status' as const, status: 429, headers: { 'retry-after-ms': '1' } })));
    const r = await h.run({ ticket: 'x' });
    expect(r.attempts).toBe(7);
    expect(providerRuntime(name, { type: 'openai', base_url: s.url, api_key_env: KEY_ENV, retries: 10, breaker: { failures: 2 } }).breaker.state).toBe('closed');
  });

  it('under 20% 429s and 10% 500s, 1,000 concurrent calls all complete', async () => {
    const c = chaos({ p429: 0.2, p500: 0.1, seed: 7 });
    const { s, h } = await simple({ provider: ', retries: 8, breaker: { failures: 8 }', server: { respond: c.respond } });
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => h.run({ ticket: `ticket ${i}` }, {})));
    expect(results.every((r) => r.output === `Ticket: ticket ${results.indexOf(r)}`)).toBe(true);
    const attempts = results.reduce((n, r) => n + r.attempts, 0);
    expect(attempts).toBe(s.requests.length);
    expect(c.counts.ok).toBe(1000);
    const faults = c.counts[429] + c.counts[500];
    expect(faults / s.requests.length).toBeGreaterThan(0.2); // the faults really happened
    expect(c.counts[429]).toBeGreaterThan(c.counts[500]);
  });

  it('an aborted signal cancels a call that is backing off, and nothing more is sent', async () => {
    const { s, h } = await simple();
    s.script.push({ type: 'status', status: 429, headers: { 'retry-after-ms': '5000' } });
    const ac = new AbortController();
    const p = h.run({ ticket: 'x' }, { signal: ac.signal });
    while (s.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(500);
    expect(s.requests).toHaveLength(1);
  });
});

describe('run(): concurrency and rate limits per provider', () => {
  it('never has more requests in flight than limits.concurrency, across handles and prompt sets', async () => {
    const { s, fx, h } = await simple({ provider: ', limits: { concurrency: 3 }', server: { latencyMs: 30 } });
    const other = setOf(fx).get('support/triage');
    await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? h : other).run({ ticket: `t${i}` })));
    expect(s.maxInFlight).toBe(3);
    expect(s.requests).toHaveLength(24);
  });

  it('requests_per_minute: the request after the bucket is empty waits for its token', async () => {
    const name = uniq('echo');
    const fx = fixture({ providers: `  ${name}: { type: echo, limits: { requests_per_minute: 60 } }`, prompts: { 'support/triage@1.0.0': chatPrompt({ provider: name }) } });
    const h = setOf(fx).get('support/triage');
    const t0 = Date.now();
    const done: number[] = [];
    await Promise.all(Array.from({ length: 61 }, (_, i) => h.run({ ticket: `t${i}` }).then(() => done.push(Date.now() - t0))));
    done.sort((a, b) => a - b);
    expect(done[59]!).toBeLessThan(700);
    expect(done[60]!).toBeGreaterThanOrEqual(900); // 1 token per second
  });

  it('tokens_per_minute: estimated tokens are taken before sending and corrected by the reported usage', async () => {
    const { h } = await simple({
      prompt: { params: '{ max_tokens: 1000 }' },
      provider: ', limits: { tokens_per_minute: 6000 }',
      server: { respond: () => ({ type: 'ok', content: 'ok', usage: { input: 10, output: 1000 } }) },
    });
    const t0 = Date.now();
    const done: number[] = [];
    for (let i = 0; i < 6; i++) {
      await h.run({ ticket: `t${i}` });
      done.push(Date.now() - t0);
    }
    expect(done[4]!).toBeLessThan(400);
    expect(done[5]!).toBeGreaterThanOrEqual(300); // the sixth waits for ~0.5 s of refill (100 tokens/s)
  });
});

describe('run(): budgets', () => {
  const prices = ', prices: { test-model: { input_per_1m: 1000, output_per_1m: 1000 } }';
  const usage = { respond: () => ({ type: 'ok' as const, content: 'ok', usage: { input: 12, output: 400 } }) };

  it('a call whose estimate would exceed usd_per_hour is not sent (BudgetExceededError)', async () => {
    const { s, h, store } = await simple({ provider: prices, budget: '{ usd_per_hour: 1.0 }', server: usage });
    expect((await h.run({ ticket: 'a' })).cost_usd).toBeCloseTo(0.412, 6);
    await h.run({ ticket: 'b' });
    const e = (await h.run({ ticket: 'c' }).catch((x: unknown) => x)) as BudgetExceededError;
    expect(e).toBeInstanceOf(BudgetExceededError);
    expect(e.window).toBe('hour');
    expect(e.message).toContain('it was not sent');
    expect(s.requests).toHaveLength(2);
    expect(store.spent(3_600_000, Date.now())).toBeCloseTo(0.824, 6);
  });

  it('usd_per_day is checked too', async () => {
    const { s, h } = await simple({ provider: prices, budget: '{ usd_per_hour: 100, usd_per_day: 0.5 }', server: usage });
    await h.run({ ticket: 'a' });
    await expect(h.run({ ticket: 'b' })).rejects.toMatchObject({ window: 'day' });
    expect(s.requests).toHaveLength(1);
  });

  it('calls in flight count: 6 concurrent calls with room for 2 send exactly 2', async () => {
    const { s, h } = await simple({ provider: prices, budget: '{ usd_per_hour: 0.9 }', server: { ...usage, latencyMs: 50 } });
    const r = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => h.run({ ticket: `t${i}` })));
    expect(r.filter((x) => x.status === 'fulfilled')).toHaveLength(2);
    expect(r.filter((x) => x.status === 'rejected' && x.reason instanceof BudgetExceededError)).toHaveLength(4);
    expect(s.requests).toHaveLength(2);
  });

  it('a failed call gives its reservation back', async () => {
    const { s, h, store } = await simple({ provider: `${prices}, retries: 0`, budget: '{ usd_per_hour: 1.0 }', server: usage });
    s.script.push({ type: 'status', status: 400 });
    await expect(h.run({ ticket: 'a' })).rejects.toBeInstanceOf(ProviderRequestError);
    expect(store.spent(3_600_000, Date.now())).toBe(0);
  });

  it('a BudgetStore shared by two prompt sets (two processes) shares the spend', async () => {
    const { fx } = await simple({ provider: prices, budget: '{ usd_per_hour: 1.0 }', server: usage });
    const shared = new InMemoryBudgetStore();
    const a = setOf(fx, { store: shared }).get('support/triage');
    const b = setOf(fx, { store: shared }).get('support/triage');
    await a.run({ ticket: 'a' });
    await b.run({ ticket: 'b' });
    await expect(a.run({ ticket: 'c' })).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it('a budget with a model that has no price fails clearly instead of spending blind', async () => {
    const { s, h } = await simple({ budget: '{ usd_per_hour: 1 }' });
    const e = await h.run({ ticket: 'a' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect((e as Error).message).toContain('has no price for model "test-model"');
    expect(s.requests).toHaveLength(0);
  });
});

describe('run(): fallbacks', () => {
  it('breaker open → fallback.provider/model answers, and the result says why', async () => {
    const fb = await server('openai', { respond: () => ({ type: 'ok', content: 'from fallback' }) });
    const local = uniq('local');
    const { s, h, name } = await simple({
      provider: ', retries: 0, breaker: { failures: 1, cooldown_ms: 60000 }',
      more: `  ${local}: { type: openai, base_url: "${fb.url}" }\n`,
      prompt: { extra: `fallback: { provider: ${local}, model: llama3 }\n` },
      server: { respond: () => ({ type: 'status', status: 502 }) },
    });
    const first = await h.run({ ticket: 'a' });
    expect(first.fallback).toMatchObject({ reason: 'retries_exhausted', via: 'model', provider: local, model: 'llama3' });
    const second = await h.run({ ticket: 'b' });
    expect(second).toMatchObject({ output: 'from fallback', provider: local, model: 'llama3', attempts: 1, fallback: { reason: 'circuit_open', via: 'model' } });
    expect(second.fallback!.error).toContain(`provider "${name}" is unavailable`);
    expect(s.requests).toHaveLength(1);
    expect(fb.requests.map((r) => r.body.model)).toEqual(['llama3', 'llama3']);
  });

  it('retries exhausted and no fallback model → fallback.text, parsed for a JSON prompt', async () => {
    const { h } = await simple({
      provider: ', retries: 1',
      prompt: { json: true, extra: `fallback: { text: '{"category": "other"}' }\n` },
      server: { respond: () => ({ type: 'reset' }) },
    });
    const r = await h.run({ ticket: 'a' });
    expect(r).toMatchObject({ output: '{"category": "other"}', data: { category: 'other' }, usage: null, cost_usd: 0, attempts: 2, provider: null, fallback: { reason: 'retries_exhausted', via: 'text' } });
  });

  it('budget spent → the fallback model (echo, free) serves', async () => {
    const off = uniq('offline');
    const { s, h } = await simple({
      provider: ', prices: { test-model: { input_per_1m: 1000, output_per_1m: 1000 } }',
      budget: '{ usd_per_hour: 0.1 }',
      more: `  ${off}: { type: echo }\n`,
      prompt: { extra: `fallback: { provider: ${off}, model: echo-1 }\n` },
    });
    const r = await h.run({ ticket: 'a' });
    expect(r).toMatchObject({ output: 'system: You triage tickets.\n\nuser: Ticket: a', provider: off, cost_usd: 0, fallback: { reason: 'budget_exceeded', via: 'model' } });
    expect(s.requests).toHaveLength(0);
  });

  it('a fallback model that fails too → fallback.text', async () => {
    const fb = await server('openai', { respond: () => ({ type: 'status', status: 500 }) });
    const local = uniq('local');
    const { h } = await simple({
      provider: ', retries: 0',
      more: `  ${local}: { type: openai, base_url: "${fb.url}", retries: 0 }\n`,
      prompt: { extra: `fallback: { provider: ${local}, model: llama3, text: "Sorry, try again later." }\n` },
      server: { respond: () => ({ type: 'status', status: 500 }) },
    });
    const r = await h.run({ ticket: 'a' });
    expect(r).toMatchObject({ output: 'Sorry, try again later.', attempts: 2, fallback: { reason: 'retries_exhausted', via: 'text' } });
  });

  it('a 4xx is not a fallback case: the error is thrown', async () => {
    const { h } = await simple({ prompt: { extra: 'fallback: { text: "x" }\n' }, server: { respond: () => ({ type: 'status', status: 404 }) } });
    await expect(h.run({ ticket: 'a' })).rejects.toBeInstanceOf(ProviderRequestError);
  });
});

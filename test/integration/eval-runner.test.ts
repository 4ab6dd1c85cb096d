/**
 * The runner against real HTTP servers on 127.0.0.1: wire formats, usage and cost, retries
 * (429 + Retry-After, 5xx, malformed JSON, resets, timeouts), no retry on 4xx, the circuit
 * breaker, bounded concurrency, the cache (record / replay / no-cache) and llm-rubric.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import { startAnthropicServer } from '../helpers/servers/anthropic.js';
import type { FakeServer } from '../helpers/servers/fake-llm.js';
import { openRegistry } from '../../src/registry/registry.js';
import { loadEvalTarget } from '../../src/eval/suite.js';
import { runEval, type EvalRunOptions } from '../../src/eval/runner.js';
import { UsageError } from '../../src/errors.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const PROMPT = (provider: string, extra = '') => `id: t
version: 1.0.0
model: { provider: ${provider}, name: test-model, parameters: { temperature: 0.2 } }
inputs: { type: object, required: [q], properties: { q: { type: string } }, additionalProperties: false }
messages:
  - { role: system, content: "You answer." }
  - { role: user, content: "Q: {{q}}" }
${extra}`;

function suite(n: number, assert = '[{ type: contains, value: "Q:" }]'): string {
  const lines = ['cases:'];
  for (let i = 0; i < n; i++) lines.push(`  - { name: case-${i}, vars: { q: "question ${i}" }, assert: ${assert} }`);
  return `${lines.join('\n')}\n`;
}

async function setup(opts: { kind?: 'openai' | 'anthropic'; cases?: number; assert?: string; providerCfg?: string; evalCfg?: string; server?: Parameters<typeof startOpenAIServer>[0] } = {}) {
  const kind = opts.kind ?? 'openai';
  const server: FakeServer = kind === 'openai' ? await startOpenAIServer(opts.server) : await startAnthropicServer(opts.server);
  cleanups.push(() => server.close());
  const reg: TempRegistry = makeRegistry({
    config: `providers:
  p: { type: ${kind}, base_url: "${server.url}", api_key_env: TEST_KEY${opts.providerCfg ?? ''} }
  judge: { type: openai, base_url: "${server.url}" }
eval: { concurrency: 4, timeout_ms: 2000, retries: 2, max_consecutive_failures: 3${opts.evalCfg ?? ''} }
`,
  });
  cleanups.push(() => reg.cleanup());
  reg.write('prompts/t/1.0.0.yaml', PROMPT('p'));
  reg.write('prompts/t/evals.yaml', suite(opts.cases ?? 3, opts.assert));
  const registry = openRegistry(reg.dir);
  const target = loadEvalTarget(registry, 't', '1.0.0');
  const run = (o: Partial<EvalRunOptions> = {}) => runEval({ registry, target, env: { TEST_KEY: 'sk-test-123' }, backoffBaseMs: 1, ...o });
  return { server, reg, registry, target, run };
}

describe('openai provider over HTTP', () => {
  it('sends the Chat Completions request and reads content and usage; cost from the price table', async () => {
    const { server, run } = await setup({ providerCfg: ', prices: { test-model: { input_per_1m: 1, output_per_1m: 2 } }', server: { respond: () => ({ type: 'ok', content: 'Q: answered', usage: { input: 100, output: 50 } }) } });
    const r = await run();
    expect(r.results.map((x) => x.pass)).toEqual([true, true, true]);
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test-123');
    expect(req.body).toMatchObject({ model: 'test-model', temperature: 0.2, messages: [{ role: 'system', content: 'You answer.' }, { role: 'user', content: 'Q: question 0' }] });
    expect(r.results[0]).toMatchObject({ output: 'Q: answered', tokens: { input: 100, output: 50, total: 150 }, cached: false });
    expect(r.results[0]!.cost_usd).toBeCloseTo((100 * 1 + 50 * 2) / 1e6);
    expect(r.provider_type).toBe('openai');
  });

  it('retries 429 honouring Retry-After, 500s, malformed JSON and connection resets, then succeeds', async () => {
    const { server, run } = await setup({ cases: 1 });
    server.script.push({ type: 'status', status: 429, headers: { 'retry-after': '0' }, message: 'Rate limit reached' });
    server.script.push({ type: 'status', status: 500 });
    const r1 = await run({ cacheMode: 'off' });
    expect(r1.results[0]!.pass).toBe(true);
    expect(server.requests).toHaveLength(3);
    server.script.push({ type: 'malformed' }, { type: 'reset' });
    const r2 = await run({ cacheMode: 'off' });
    expect(r2.results[0]!.pass).toBe(true);
    expect(server.requests).toHaveLength(6);
  });

  it('waits as long as retry-after-ms says before retrying', async () => {
    const { server, run } = await setup({ cases: 1 });
    server.script.push({ type: 'status', status: 429, headers: { 'retry-after-ms': '300' } });
    const t0 = Date.now();
    const r = await run({ cacheMode: 'off' });
    expect(r.results[0]!.pass).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('gives up after eval.retries and reports the last error for the case', async () => {
    const { server, run } = await setup({ cases: 1 });
    server.script.push(...Array.from({ length: 3 }, () => ({ type: 'status' as const, status: 503, message: 'overloaded' })));
    const r = await run({ cacheMode: 'off' });
    expect(server.requests).toHaveLength(3);
    expect(r.results[0]!.pass).toBe(false);
    expect(r.results[0]!.error).toContain('HTTP 503: overloaded');
  });

  it('times out a slow response (timeout_ms) and retries it', async () => {
    const { server, run } = await setup({ cases: 1, providerCfg: ', timeout_ms: 150' });
    server.script.push({ type: 'hang' }, { type: 'ok', delayMs: 400 }, { type: 'hang' });
    const r = await run({ cacheMode: 'off' });
    expect(server.requests).toHaveLength(3);
    expect(r.results[0]!.error).toContain('no response within 150 ms');
  });

  it('does not retry 400 and fails just that case with the provider message', async () => {
    const { server, run } = await setup({ cases: 2 });
    server.script.push({ type: 'status', status: 400, message: "Invalid value for 'temperature'" });
    const r = await run({ cacheMode: 'off', concurrency: 1 });
    expect(server.requests).toHaveLength(2);
    expect(r.results[0]!.error).toContain("HTTP 400: Invalid value for 'temperature'");
    expect(r.results[1]!.pass).toBe(true);
    expect(r.stopped).toBeNull();
  });

  it('a wrong key (401) stops the run at once without retrying, and the message never holds the key', async () => {
    const { server, run } = await setup({ cases: 5, server: { apiKey: 'sk-right' } });
    const r = await run({ cacheMode: 'off', concurrency: 1 });
    expect(server.requests).toHaveLength(1);
    expect(r.fatal).toBe(true);
    expect(r.stopped).toContain('HTTP 401');
    expect(r.stopped).toContain('check the key');
    expect(r.stopped).not.toContain('sk-test-123');
    expect(JSON.stringify(r)).not.toContain('sk-test-123');
  });

  it('an unknown model (404) stops the run with a clear message', async () => {
    const { server, run } = await setup({ cases: 5, server: { models: ['other'] } });
    const r = await run({ cacheMode: 'off', concurrency: 1 });
    expect(server.requests).toHaveLength(1);
    expect(r.fatal).toBe(true);
    expect(r.stopped).toContain('does not exist');
    expect(r.stopped).toContain('check the model name');
  });

  it('the circuit breaker stops the run after max_consecutive_failures failed requests', async () => {
    const { server, run } = await setup({ cases: 20, server: { respond: () => ({ type: 'status', status: 500, message: 'down' }) } });
    const r = await run({ cacheMode: 'off', concurrency: 1 });
    expect(r.stopped).toContain('stopped after 3 consecutive failed requests');
    expect(r.fatal).toBe(false);
    expect(r.results.length).toBe(3);
    expect(server.requests.length).toBe(9); // 3 cases x (1 + 2 retries), then nothing more
  });

  it('a connection refused (dead endpoint) is retried, then trips the breaker', async () => {
    const { server, run } = await setup({ cases: 10 });
    await server.close();
    const r = await run({ cacheMode: 'off', concurrency: 2 });
    expect(r.stopped).toContain('consecutive failed requests');
    expect(r.stopped).toContain('network error');
    expect(r.results.length).toBeLessThan(10);
  });

  it('never has more requests in flight than the concurrency', async () => {
    const { server, run } = await setup({ cases: 30, server: { latencyMs: 60 } });
    await run({ cacheMode: 'off', concurrency: 5 });
    expect(server.requests).toHaveLength(30);
    expect(server.maxInFlight).toBeLessThanOrEqual(5);
    expect(server.maxInFlight).toBeGreaterThanOrEqual(3); // it does run requests in parallel
  });

  it('a missing API key is a usage error naming the variable (not checked under --replay)', async () => {
    const { run } = await setup({ cases: 1 });
    await expect(run({ env: {} })).rejects.toThrow(UsageError);
    await expect(run({ env: {} })).rejects.toThrow(/TEST_KEY is not set/);
    const r = await run({ env: {}, cacheMode: 'replay' });
    expect(r.results[0]!.error).toContain('no recorded response');
  });

  it('an unknown provider is a usage error with a suggestion', async () => {
    const { run } = await setup({ cases: 1 });
    await expect(run({ provider: 'pp' })).rejects.toThrow(/unknown provider "pp"; did you mean "p"/);
  });

  it('a case whose vars fail the inputs schema is an error result, not a crash', async () => {
    const { reg, registry, server } = await setup({ cases: 1 });
    reg.write('prompts/t/evals.yaml', 'cases:\n  - { name: bad, vars: { q: 3 } }\n  - { name: good, vars: { q: x } }\n');
    const target = loadEvalTarget(registry, 't', '1.0.0');
    const r = await runEval({ registry, target, env: { TEST_KEY: 'k' } });
    expect(r.results[0]!.error).toContain('input "q" must be string');
    expect(r.results[1]!.pass).toBe(true);
    expect(server.requests).toHaveLength(1);
  });
});

describe('a prompt that cannot compile', () => {
  it('an invalid inputs schema is named as such (not blamed on the template), with no request sent', async () => {
    const { reg, registry, server } = await setup({ cases: 1 });
    reg.write('prompts/t/1.0.0.yaml', PROMPT('p').replace('q: { type: string }', 'q: { type: strng }'));
    const target = loadEvalTarget(registry, 't', '1.0.0');
    const r = await runEval({ registry, target, env: { TEST_KEY: 'k' } });
    expect(r.results[0]!.error).toMatch(/^the prompt's inputs schema is not a valid JSON Schema: /);
    expect(server.requests).toHaveLength(0);
  });
});

describe('anthropic provider over HTTP', () => {
  it('sends the Messages API request (x-api-key, anthropic-version, top-level system, max_tokens) and reads usage', async () => {
    const { server, run } = await setup({ kind: 'anthropic', cases: 1, server: { respond: () => ({ type: 'ok', content: 'Q: fine', usage: { input: 7, output: 3 } }) } });
    const r = await run();
    expect(r.results[0]).toMatchObject({ pass: true, output: 'Q: fine', tokens: { input: 7, output: 3, total: 10 } });
    const req = server.requests[0]!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe('sk-test-123');
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toMatchObject({ model: 'test-model', system: 'You answer.', max_tokens: 1024, temperature: 0.2, messages: [{ role: 'user', content: 'Q: question 0' }] });
  });

  it('reads Anthropic error bodies and retries 529 overloaded', async () => {
    const { server, run } = await setup({ kind: 'anthropic', cases: 1 });
    server.script.push({ type: 'status', status: 529, message: 'Overloaded' }, { type: 'status', status: 529, message: 'Overloaded' }, { type: 'status', status: 529, message: 'Overloaded' });
    const r = await run({ cacheMode: 'off' });
    expect(r.results[0]!.error).toContain('HTTP 529: Overloaded');
    expect(server.requests).toHaveLength(3);
  });
});

describe('response cache', () => {
  it('default mode reuses responses; --no-cache bypasses; --record refreshes; --replay never touches the network', async () => {
    const { server, reg, run } = await setup({ cases: 3 });
    await run();
    expect(server.requests).toHaveLength(3);
    const cacheDir = path.join(reg.dir, '.prompts', 'cache');
    const files = fs.readdirSync(cacheDir, { recursive: true }).filter((f) => String(f).endsWith('.json') && !String(f).startsWith('suites'));
    expect(files).toHaveLength(3);
    const second = await run();
    expect(server.requests).toHaveLength(3);
    expect(second.results.every((x) => x.cached)).toBe(true);
    await run({ cacheMode: 'off' });
    expect(server.requests).toHaveLength(6);
    await run({ cacheMode: 'record' });
    expect(server.requests).toHaveLength(9);
    await server.close();
    const replay = await run({ cacheMode: 'replay', env: {} });
    expect(replay.results.map((x) => x.pass)).toEqual([true, true, true]);
    expect(replay.results.every((x) => x.cached)).toBe(true);
  });

  it('replay fails a case clearly when it has no recorded response', async () => {
    const { server, run } = await setup({ cases: 2 });
    const r = await run({ cacheMode: 'replay' });
    expect(server.requests).toHaveLength(0);
    expect(r.results.every((x) => x.error?.includes('no recorded response'))).toBe(true);
  });

  it('a damaged cache entry is a miss, replaced on the next write', async () => {
    const { server, reg, run } = await setup({ cases: 1 });
    await run();
    const cacheDir = path.join(reg.dir, '.prompts', 'cache');
    const f = fs.readdirSync(cacheDir, { recursive: true }).map(String).find((x) => x.endsWith('.json') && !x.startsWith('suites'))!;
    fs.writeFileSync(path.join(cacheDir, f), '{ broken');
    const r = await run();
    expect(r.results[0]!.pass).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(() => JSON.parse(fs.readFileSync(path.join(cacheDir, f), 'utf8'))).not.toThrow();
  });
});

describe('llm-rubric', () => {
  it('grades through a configured provider and model and parses the JSON verdict', async () => {
    const { server, run } = await setup({
      cases: 2,
      assert: '[{ type: llm-rubric, rubric: "answers politely", provider: judge, model: judge-model }]',
      server: {
        respond: (req) => {
          if (req.body.model === 'judge-model') {
            const graded = String(req.body.messages?.[1]?.content ?? '');
            return { type: 'ok', content: graded.includes('question 0') ? '{"pass": true, "score": 0.9, "reason": "polite"}' : 'Verdict: FAIL, rude' };
          }
          return { type: 'ok' };
        },
      },
    });
    const r = await run({ concurrency: 1 });
    expect(r.results[0]!.pass).toBe(true);
    expect(r.results[0]!.assertions[0]!.message).toContain('polite');
    expect(r.results[1]!.pass).toBe(false);
    expect(r.results[1]!.assertions[0]!.message).toContain('grader said fail');
    const judged = server.requests.filter((q) => q.body.model === 'judge-model');
    expect(judged).toHaveLength(2);
    expect(judged[0]!.body.temperature).toBe(0);
    expect(String(judged[0]!.body.messages?.[1]?.content)).toContain('answers politely');
  });

  it('an unknown grader provider fails before any request', async () => {
    const { server, run } = await setup({ cases: 1, assert: '[{ type: llm-rubric, rubric: "x", provider: "nope" }]' });
    await expect(run()).rejects.toThrow(/unknown provider "nope"/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('interruption', () => {
  it('an aborted signal keeps the cases that finished and drops those cut off', async () => {
    const { run } = await setup({ cases: 20, server: { latencyMs: 30 } });
    const ac = new AbortController();
    let seen = 0;
    const r = await run({
      cacheMode: 'off',
      concurrency: 2,
      signal: ac.signal,
      onResult: () => {
        if (++seen === 4) ac.abort();
      },
    });
    expect(r.interrupted).toBe(true);
    expect(r.stopped).toBeNull();
    expect(r.results.length).toBeGreaterThanOrEqual(4);
    expect(r.results.length).toBeLessThan(20);
    expect(r.results.every((x) => x.error === null)).toBe(true);
  });
});

describe('suite cache', () => {
  it('remembers a valid suite by digest once a run starts, and re-parses when the file changes or the copy is damaged', async () => {
    const { reg, registry } = await setup({ cases: 2 });
    const dir = path.join(reg.dir, '.prompts', 'cache', 'suites');
    expect(fs.existsSync(dir)).toBe(false);
    const t1 = loadEvalTarget(registry, 't', '1.0.0');
    expect(fs.existsSync(dir)).toBe(false); // nothing written until a run starts
    await runEval({ registry, target: t1, env: { TEST_KEY: 'k' }, cacheMode: 'off' });
    const [copy] = fs.readdirSync(dir);
    expect(copy).toMatch(/^[0-9a-f]{64}\.json$/);
    expect(loadEvalTarget(registry, 't', '1.0.0').suite).toEqual(t1.suite);
    fs.writeFileSync(path.join(dir, copy!), 'garbage');
    expect(loadEvalTarget(registry, 't', '1.0.0').cases).toHaveLength(2);
    reg.write('prompts/t/evals.yaml', suite(3));
    const t3 = loadEvalTarget(registry, 't', '1.0.0');
    expect(t3.cases).toHaveLength(3);
    expect(t3.suite_sha256).not.toBe(t1.suite_sha256);
  });
});

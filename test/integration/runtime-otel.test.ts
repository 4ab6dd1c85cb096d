/**
 * run()'s OpenTelemetry with the real SDK (in-memory span exporter, a metric reader): one CLIENT
 * span per call with the GenAI semantic-convention and promptrail.* attributes, retry events,
 * error.type on failures; the GenAI client metrics and promptrail.requests by prompt, version,
 * variant and outcome. And no API key anywhere: a sentinel key is grepped across every span,
 * metric, error, result and everything written to stdout/stderr.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { metrics, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { openBundle } from '../../src/sdk/load-bundle.js';
import { InMemoryBudgetStore } from '../../src/sdk/budget.js';
import { RUNTIME_DEFAULTS } from '../../src/providers/resilience.js';
import { startOpenAIServer } from '../helpers/servers/openai.js';
import type { FakeServer, FakeServerOptions } from '../helpers/servers/fake-llm.js';
import { chatPrompt, KEY_ENV, runtimeFixture } from './runtime-fixture.js';

class TestReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const exporter = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });

beforeAll(() => {
  RUNTIME_DEFAULTS.backoffBaseMs = 1;
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
});
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  exporter.reset();
});

let seq = 0;
async function setup(o: { server?: Omit<FakeServerOptions, 'kind'>; provider?: string; extra?: string; key?: string; json?: boolean } = {}) {
  const s: FakeServer = await startOpenAIServer(o.server);
  cleanups.push(() => s.close());
  const name = `otel${++seq}`;
  const fx = runtimeFixture({
    providers: `  ${name}: { type: openai, base_url: "${s.url}", api_key_env: ${KEY_ENV}, prices: { test-model: { input_per_1m: 1, output_per_1m: 2 } }${o.provider ?? ''} }`,
    prompts: { 'support/triage@1.0.0': chatPrompt({ provider: name, extra: o.extra, json: o.json }) },
  });
  cleanups.push(() => fx.reg.cleanup());
  const set = openBundle(fx.bundle(), { processEnv: { [KEY_ENV]: o.key ?? 'sk-test' }, budgetStore: new InMemoryBudgetStore() });
  return { s, name, h: set.get('support/triage') };
}

async function collect(): Promise<ResourceMetrics> {
  const { resourceMetrics, errors } = await reader.collect();
  expect(errors).toEqual([]);
  return resourceMetrics;
}

function points(rm: ResourceMetrics, name: string): { attributes: Record<string, unknown>; value: unknown }[] {
  const out: { attributes: Record<string, unknown>; value: unknown }[] = [];
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) for (const dp of m.dataPoints) out.push({ attributes: dp.attributes, value: dp.value });
  return out;
}

function onlySpan(): ReadableSpan {
  const spans = exporter.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe('OpenTelemetry spans', () => {
  it('one CLIENT span "chat <model>" with the GenAI and promptrail attributes', async () => {
    const { h, s, name } = await setup({ server: { respond: () => ({ type: 'ok', content: 'billing', usage: { input: 21, output: 3 } }) } });
    await h.run({ ticket: 'refund' });
    const span = onlySpan();
    expect(span.name).toBe('chat test-model');
    expect(span.kind).toBe(2); // SpanKind.CLIENT
    expect(span.instrumentationScope.name).toBe('promptrail');
    const port = Number(new URL(s.url).port);
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'test-model',
      'gen_ai.request.temperature': 0.1,
      'gen_ai.request.max_tokens': 400,
      'gen_ai.response.model': 'test-model',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 21,
      'gen_ai.usage.output_tokens': 3,
      'server.address': '127.0.0.1',
      'server.port': port,
      'promptrail.prompt.id': 'support/triage',
      'promptrail.prompt.version': '1.0.0',
      'promptrail.prompt.variant': 'stable',
      'promptrail.prompt.sha256': h.sha256,
      'promptrail.prompt.env': 'production',
      'promptrail.provider': name,
      'promptrail.attempts': 1,
    });
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(0);
  });

  it('retries are span events; a failed call has error.type and an error status', async () => {
    const { h, s } = await setup({ provider: ', retries: 1' });
    s.script.push({ type: 'status', status: 503 }, { type: 'status', status: 503 });
    await expect(h.run({ ticket: 'x' })).rejects.toThrow(/unavailable/);
    const span = onlySpan();
    expect(span.events.map((e) => [e.name, e.attributes?.['error.type']])).toEqual([['promptrail.retry', '503']]);
    expect(span.attributes['error.type']).toBe('retries_exhausted');
    expect(span.attributes['promptrail.attempts']).toBe(2);
    expect(span.status.code).toBe(2); // ERROR
  });

  it('an invalid reply ends the span once, as an error, even with a fallback declared', async () => {
    const { h, s } = await setup({ json: true, extra: 'fallback: { text: \'{"category": "other"}\' }\n' });
    s.script.push({ type: 'ok', content: 'not json' });
    await expect(h.run({ ticket: 'x' })).rejects.toThrow(/invalid output/);
    expect(onlySpan().attributes['error.type']).toBe('OutputValidationError');
  });

  it('a fallback is recorded on the span', async () => {
    const { h, s } = await setup({ provider: ', retries: 0', extra: 'fallback: { text: "later" }\n' });
    s.script.push({ type: 'status', status: 500 });
    await h.run({ ticket: 'x' });
    expect(onlySpan().attributes).toMatchObject({ 'promptrail.fallback.reason': 'retries_exhausted', 'promptrail.fallback.via': 'text', 'error.type': 'retries_exhausted' });
  });
});

describe('OpenTelemetry metrics', () => {
  it('promptrail.requests by prompt_id, prompt_version, variant, outcome; GenAI duration and token usage', async () => {
    const { h, s } = await setup({ provider: ', retries: 0', extra: 'fallback: { text: "later" }\n', server: { respond: () => ({ type: 'ok', content: 'ok', usage: { input: 7, output: 5 } }) } });
    const before = await collect();
    const count = (rm: ResourceMetrics, outcome: string): number =>
      points(rm, 'promptrail.requests')
        .filter((p) => p.attributes.prompt_id === 'support/triage' && p.attributes.outcome === outcome)
        .reduce((n, p) => n + Number(p.value), 0);
    await h.run({ ticket: 'a' });
    await h.run({ ticket: 'b' });
    s.script.push({ type: 'status', status: 500 });
    await h.run({ ticket: 'c' }); // fallback
    await expect(h.run({ ticket: '' })).rejects.toThrow(); // invalid inputs: error
    const rm = await collect();
    expect(count(rm, 'ok') - count(before, 'ok')).toBe(2);
    expect(count(rm, 'fallback') - count(before, 'fallback')).toBe(1);
    expect(count(rm, 'error') - count(before, 'error')).toBe(1);
    const req = points(rm, 'promptrail.requests').find((p) => p.attributes.outcome === 'ok')!;
    expect(req.attributes).toEqual({ prompt_id: 'support/triage', prompt_version: '1.0.0', variant: 'stable', outcome: 'ok', env: 'production' });
    const port = Number(new URL(s.url).port);
    const dur = points(rm, 'gen_ai.client.operation.duration').find((p) => p.attributes['error.type'] === undefined && p.attributes['server.port'] === port)!;
    expect(dur.attributes).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'test-model', 'gen_ai.response.model': 'test-model', 'server.address': '127.0.0.1' });
    expect((dur.value as { count: number }).count).toBeGreaterThanOrEqual(2);
    const tokens = points(rm, 'gen_ai.client.token.usage').filter((p) => p.attributes['server.port'] === port);
    expect(tokens.map((t) => t.attributes['gen_ai.token.type']).sort()).toEqual(['input', 'output']);
    const input = tokens.find((t) => t.attributes['gen_ai.token.type'] === 'input')!;
    expect((input.value as { sum: number }).sum).toBe(14);
    const descriptor = rm.scopeMetrics.flatMap((sm) => sm.metrics).find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')!.descriptor;
    expect(descriptor.unit).toBe('s');
    expect(points(rm, 'promptrail.request.duration').length).toBeGreaterThan(0);
    expect(points(rm, 'promptrail.cost').length).toBeGreaterThan(0);
  });
});

describe('no key anywhere', () => {
  const SENTINEL = 'sk-SENTINEL-0123456789abcdefghijklmnopqrstuvwxyz-DO-NOT-LEAK';

  it('a sentinel key never reaches a span, metric, error, result or the console', async () => {
    const writes: string[] = [];
    const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (writes.push(String(c)), true));
    const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (writes.push(String(c)), true));
    const spyLog = vi.spyOn(console, 'log');
    const spyWarn = vi.spyOn(console, 'warn');
    const spyError = vi.spyOn(console, 'error');
    const found: unknown[] = [];
    try {
      // 1. the server rejects the key and echoes it (and every header) back in the error body
      const wrong = await setup({ key: SENTINEL, server: { apiKey: 'sk-right' } });
      found.push(await wrong.h.run({ ticket: 'a' }).catch((e: unknown) => e));
      // 2. 500 bodies with the key placed where a 200-character cut would split it
      const cut = await setup({ key: SENTINEL, provider: ', retries: 1', extra: 'fallback: { text: "later" }\n' });
      const pad = 'x'.repeat(180);
      cut.s.script.push({ type: 'status', status: 500, rawBody: `${pad}${SENTINEL}${pad}` }, { type: 'status', status: 500, rawBody: `{"error": {"message": "bad key ${SENTINEL}"}}` });
      found.push(await cut.h.run({ ticket: 'b' }));
      // 3. malformed JSON that holds the key in its first 80 characters
      const mal = await setup({ key: SENTINEL, provider: ', retries: 0' });
      mal.s.script.push({ type: 'status', status: 200, rawBody: `{"key": "${SENTINEL}", "choices": [` });
      found.push(await mal.h.run({ ticket: 'c' }).catch((e: unknown) => e));
      // 4. a model that repeats the key in its reply
      const echo = await setup({ key: SENTINEL, server: { respond: () => ({ type: 'ok', content: `your key is ${SENTINEL}` }) } });
      found.push(await echo.h.run({ ticket: 'd' }));
      // 5. a network error
      const down = await setup({ key: SENTINEL, provider: ', retries: 0' });
      down.s.script.push({ type: 'reset' });
      found.push(await down.h.run({ ticket: 'e' }).catch((e: unknown) => e));
      expect(wrong.s.requests[0]!.headers.authorization).toBe(`Bearer ${SENTINEL}`); // it was really sent
    } finally {
      spyOut.mockRestore();
      spyErr.mockRestore();
    }
    const rm = await collect();
    const everything = JSON.stringify({
      found: found.map((f) => (f instanceof Error ? { ...f, name: f.name, message: f.message, stack: f.stack } : f)),
      spans: exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })),
      metrics: rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => ({ d: m.descriptor, p: m.dataPoints }))),
      writes,
      logs: [spyLog.mock.calls, spyWarn.mock.calls, spyError.mock.calls],
    });
    expect(exporter.getFinishedSpans()).toHaveLength(5);
    expect(found[0]).toBeInstanceOf(Error);
    expect(String((found[0] as Error).message)).toContain('HTTP 401');
    expect(everything).toContain('***');
    for (let i = 0; i + 8 <= SENTINEL.length; i += 4) expect(everything, `fragment ${SENTINEL.slice(i, i + 8)}`).not.toContain(SENTINEL.slice(i, i + 8));
    spyLog.mockRestore();
    spyWarn.mockRestore();
    spyError.mockRestore();
  });
});

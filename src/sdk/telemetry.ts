/**
 * OpenTelemetry for run(), through @opentelemetry/api only: a no-op until the application
 * registers an SDK. One CLIENT span per call, named "chat <model>", with the GenAI semantic
 * convention attributes (gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.*,
 * gen_ai.response.*, gen_ai.usage.*, server.address/port, error.type) and promptrail.prompt.*;
 * the GenAI client metrics (gen_ai.client.operation.duration, gen_ai.client.token.usage) and
 * promptrail's own per-prompt metrics (promptrail.requests → promptrail_requests_total in
 * Prometheus, promptrail.request.duration, promptrail.cost). Nothing here ever sees a key.
 */
import { readFileSync } from 'node:fs';
import { createNoopMeter, metrics, ProxyTracerProvider, trace, SpanKind, SpanStatusCode, type Attributes, type Counter, type Histogram, type MeterProvider, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';

function ownVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const SCOPE = 'promptrail';
const VERSION = ownVersion();
// the recommended bucket boundaries of the GenAI metrics semantic conventions
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

// With no SDK registered, the API hands out these no-op classes: then run() skips building
// attributes altogether (the no-op would drop them anyway), which keeps the untraced path lean.
const NoopMeter = createNoopMeter().constructor;
const NoopTracer = new ProxyTracerProvider().getDelegate().getTracer('noop').constructor;

let tracerDelegate: TracerProvider | undefined;
let tracingOn = false;
/** Is an SDK's tracer provider registered now? (cached per registered provider) */
function tracing(): boolean {
  const p = trace.getTracerProvider();
  const d = p instanceof ProxyTracerProvider ? p.getDelegate() : p;
  if (d !== tracerDelegate) {
    tracerDelegate = d;
    tracingOn = !(d.getTracer(SCOPE, VERSION) instanceof NoopTracer);
  }
  return tracingOn;
}

interface Instruments {
  provider: MeterProvider;
  noop: boolean;
  opDuration: Histogram;
  tokenUsage: Histogram;
  requests: Counter;
  duration: Histogram;
  cost: Counter;
}

let instruments: Instruments | undefined;
let tracer: Tracer | undefined;

/** Instruments of the meter provider registered now (an app may register its SDK after the first call). */
function meter(): Instruments {
  const provider = metrics.getMeterProvider();
  if (instruments?.provider === provider) return instruments;
  const m = provider.getMeter(SCOPE, VERSION);
  instruments = {
    provider,
    noop: m instanceof NoopMeter,
    opDuration: m.createHistogram('gen_ai.client.operation.duration', { description: 'GenAI operation duration', unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
    tokenUsage: m.createHistogram('gen_ai.client.token.usage', { description: 'Number of input and output tokens used', unit: '{token}', advice: { explicitBucketBoundaries: TOKEN_BUCKETS } }),
    requests: m.createCounter('promptrail.requests', { description: 'run() calls by prompt, version, variant and outcome (ok | error | fallback)' }),
    duration: m.createHistogram('promptrail.request.duration', { description: 'run() wall time by prompt, version, variant and outcome', unit: 's', advice: { explicitBucketBoundaries: DURATION_BUCKETS } }),
    cost: m.createCounter('promptrail.cost', { description: 'estimated spend of run() calls from the providers\' prices, in USD', unit: 'usd' }),
  };
  return instruments;
}

export interface CallFacts {
  promptId: string;
  version: string;
  variant: string;
  sha256: string;
  env: string;
  providerType: string;
  providerName: string;
  baseUrl: string;
  model: string;
  parameters: Record<string, unknown>;
}

/** gen_ai.provider.name: the well-known values for the wire formats we speak. */
function genAiProvider(type: string): string {
  return type === 'echo' ? 'promptrail.echo' : type;
}

function serverOf(baseUrl: string): Attributes {
  if (!baseUrl) return {};
  try {
    const u = new URL(baseUrl);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { 'server.address': u.hostname, 'server.port': port };
  } catch {
    return {};
  }
}

const serverCache = new Map<string, Attributes>();

export interface CallEnd {
  outcome: 'ok' | 'error' | 'fallback';
  /** the error class or ProviderError kind, when the call ended in an error (or was served by a fallback) */
  errorType?: string;
  errorMessage?: string;
  responseModel?: string;
  responseId?: string;
  finishReasons?: string[];
  inputTokens?: number;
  outputTokens?: number;
  attempts: number;
  costUsd: number | null;
  fallbackReason?: string;
  fallbackVia?: string;
  /** seconds */
  duration: number;
}

/** A started span plus what the metrics need at the end. */
export class CallTelemetry {
  /** undefined while no tracer provider is registered */
  readonly span: Span | undefined;
  #facts: CallFacts;
  #server: Attributes;

  constructor(facts: CallFacts) {
    this.#facts = facts;
    this.#server = {};
    this.span = undefined;
    const on = tracing();
    const ins = meter();
    if (!on && ins.noop) return;
    let server = serverCache.get(facts.baseUrl);
    if (!server) {
      server = serverOf(facts.baseUrl);
      if (serverCache.size < 256) serverCache.set(facts.baseUrl, server);
    }
    this.#server = server;
    if (!on) return;
    const attrs: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': genAiProvider(facts.providerType),
      'gen_ai.request.model': facts.model,
      'promptrail.prompt.id': facts.promptId,
      'promptrail.prompt.version': facts.version,
      'promptrail.prompt.variant': facts.variant,
      'promptrail.prompt.sha256': facts.sha256,
      'promptrail.prompt.env': facts.env,
      'promptrail.provider': facts.providerName,
      ...server,
    };
    const p = facts.parameters;
    if (typeof p.temperature === 'number') attrs['gen_ai.request.temperature'] = p.temperature;
    if (typeof p.top_p === 'number') attrs['gen_ai.request.top_p'] = p.top_p;
    const maxTokens = p.max_tokens ?? p.max_completion_tokens;
    if (typeof maxTokens === 'number') attrs['gen_ai.request.max_tokens'] = maxTokens;
    this.span = (tracer ??= trace.getTracer(SCOPE, VERSION)).startSpan(`chat ${facts.model}`, { kind: SpanKind.CLIENT, attributes: attrs });
  }

  retry(attempt: number, waitMs: number, errorType: string): void {
    if (this.span?.isRecording()) this.span.addEvent('promptrail.retry', { 'promptrail.attempt': attempt, 'promptrail.retry.wait_ms': waitMs, 'error.type': errorType });
  }

  end(e: CallEnd): void {
    const f = this.#facts;
    const span = this.span;
    if (span?.isRecording()) {
      const a: Attributes = { 'promptrail.attempts': e.attempts };
      if (e.responseModel) a['gen_ai.response.model'] = e.responseModel;
      if (e.responseId) a['gen_ai.response.id'] = e.responseId;
      if (e.finishReasons) a['gen_ai.response.finish_reasons'] = e.finishReasons;
      if (e.inputTokens !== undefined) a['gen_ai.usage.input_tokens'] = e.inputTokens;
      if (e.outputTokens !== undefined) a['gen_ai.usage.output_tokens'] = e.outputTokens;
      if (e.costUsd !== null) a['promptrail.cost_usd'] = e.costUsd;
      if (e.fallbackReason) a['promptrail.fallback.reason'] = e.fallbackReason;
      if (e.fallbackVia) a['promptrail.fallback.via'] = e.fallbackVia;
      if (e.errorType) a['error.type'] = e.errorType;
      span.setAttributes(a);
      if (e.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: e.errorMessage ?? e.errorType });
    }
    span?.end();

    const ins = meter();
    if (ins.noop) return;
    const gen: Attributes = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': genAiProvider(f.providerType), 'gen_ai.request.model': f.model, ...this.#server };
    if (e.responseModel) gen['gen_ai.response.model'] = e.responseModel;
    if (e.errorType) gen['error.type'] = e.errorType;
    ins.opDuration.record(e.duration, gen);
    if (e.inputTokens !== undefined) ins.tokenUsage.record(e.inputTokens, { ...gen, 'gen_ai.token.type': 'input' });
    if (e.outputTokens !== undefined) ins.tokenUsage.record(e.outputTokens, { ...gen, 'gen_ai.token.type': 'output' });
    const own: Attributes = { prompt_id: f.promptId, prompt_version: f.version, variant: f.variant, outcome: e.outcome, env: f.env };
    ins.requests.add(1, own);
    ins.duration.record(e.duration, own);
    if (e.costUsd) ins.cost.add(e.costUsd, { prompt_id: f.promptId, prompt_version: f.version, variant: f.variant, env: f.env });
  }
}

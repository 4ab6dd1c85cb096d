/**
 * handle.run(): render → budget check with the call's estimated cost → the provider through the
 * process-wide resilience layer → parse the reply; on an open breaker, exhausted retries or a
 * spent budget, the version's fallback (another model, then its text) or a typed error. One span
 * and one set of metrics per call. Loaded on the first run() only.
 */
import type { FallbackSpec, Message, ProviderConfig } from '../core/types.js';
import { displayUrl, redact } from '../providers/http.js';
import { createProvider, providerSecrets } from '../providers/index.js';
import { costOf, estimateCost, estimateRequest } from '../providers/cost.js';
import { providerRuntime, Unavailable } from '../providers/resilience.js';
import { ProviderError, type Completion, type Provider } from '../providers/types.js';
import { UsageError } from '../errors.js';
import { BudgetExceededError, ProviderRequestError, ProviderUnavailableError } from './errors.js';
import type { RunContext } from './prompt-set.js';
import { CallTelemetry } from './telemetry.js';
import type { FallbackInfo, PromptHandle, RunOptions, RunResult } from './types.js';
import { own } from '../core/own.js';

/** Providers (wire clients) per context and name; the resilience state behind them is per process. */
const clients = new WeakMap<RunContext, Map<string, Provider>>();

function clientFor(ctx: RunContext, name: string, cfg: ProviderConfig): Provider {
  let m = clients.get(ctx);
  if (!m) clients.set(ctx, (m = new Map()));
  let p = m.get(name);
  if (!p) m.set(name, (p = createProvider(name, cfg, { env: ctx.processEnv })));
  return p;
}

function providerConfig(ctx: RunContext, name: string, id: string): ProviderConfig {
  const cfg = own(ctx.providers, name) ?? (name === 'echo' ? { type: 'echo' as const } : undefined);
  if (!cfg) {
    throw new UsageError(`prompt "${id}" uses provider "${name}", which is not in ${ctx.where}`, { hint: 'add it under providers: in prompts.config.yaml and rebuild the bundle with "prompts build"' });
  }
  return cfg;
}

function secretsOf(ctx: RunContext, cfg: ProviderConfig): string[] {
  return providerSecrets(cfg, ctx.processEnv);
}

interface Answer {
  completion: Completion;
  attempts: number;
  cost: number | null;
  provider: string;
  model: string;
}

/** Internal: the budget refused the call (becomes BudgetExceededError or a fallback). */
class BudgetRefusal {
  constructor(readonly error: BudgetExceededError) {}
}

/** One model call with budget reservation; throws Unavailable, BudgetRefusal, ProviderError or the abort reason. */
async function ask(ctx: RunContext, providerName: string, model: string, parameters: Record<string, unknown>, messages: Message[], id: string, tel: CallTelemetry, signal: AbortSignal | undefined, attemptsSoFar: number): Promise<Answer> {
  const cfg = providerConfig(ctx, providerName, id);
  const rt = providerRuntime(providerName, cfg);
  const estimate = estimateRequest(messages, parameters, cfg.type);
  let reserved = 0;
  const at = Date.now();
  if (ctx.budget && cfg.type !== 'echo') {
    const usd = estimateCost(estimate, cfg.prices, model, cfg.type);
    if (usd === null) {
      throw new UsageError(`a budget is set, but provider "${providerName}" has no price for model "${model}", so the cost of this call cannot be known`, { hint: `add prices: { ${model}: { input_per_1m, output_per_1m } } to provider "${providerName}" in prompts.config.yaml` });
    }
    const d = await ctx.budgetStore.reserve(usd, ctx.budget, at);
    if (!d.ok) throw new BudgetRefusal(new BudgetExceededError(d.window, d.limitUsd, d.spentUsd, usd));
    reserved = usd;
  }
  let answered = false;
  try {
    const r = await rt.call(clientFor(ctx, providerName, cfg), { model, parameters, messages }, {
      signal,
      tokens: estimate.inputTokens + estimate.outputTokens,
      onRetry: (err, attempt, waitMs) => tel.retry(attemptsSoFar + attempt, waitMs, err.opts.status ? String(err.opts.status) : (err.kind ?? 'error')),
    });
    answered = true;
    const cost = costOf(r.completion.usage, cfg.prices, model, cfg.type);
    if (reserved) await ctx.budgetStore.adjust((cost ?? reserved) - reserved, at);
    const secrets = secretsOf(ctx, cfg);
    if (secrets.length) r.completion.output = redact(r.completion.output, secrets);
    return { completion: r.completion, attempts: r.attempts, cost, provider: providerName, model };
  } finally {
    if (reserved && !answered) await ctx.budgetStore.adjust(-reserved, at);
  }
}

function attemptsOf(e: unknown): number {
  return e instanceof Unavailable ? e.attempts : 0;
}

function errorTypeOf(e: unknown): string {
  if (e instanceof Unavailable) return e.reason;
  if (e instanceof BudgetRefusal) return 'budget_exceeded';
  if (e instanceof ProviderError) return e.opts.status ? String(e.opts.status) : (e.kind ?? 'provider_error');
  if (e instanceof Error) return e.name;
  return 'error';
}

/** The typed error an app sees for a failure that no fallback served. */
function publicError(e: unknown, provider: string, secrets: readonly string[]): unknown {
  if (e instanceof Unavailable) return new ProviderUnavailableError(provider, e.reason, e.attempts, redact(e.lastError, secrets), e.retryAt);
  if (e instanceof BudgetRefusal) return e.error;
  if (e instanceof ProviderError) return new ProviderRequestError(provider, redact(e.message, secrets), e.opts.status);
  return e;
}

export async function runPrompt(h: PromptHandle, ctx: RunContext, vars: Record<string, unknown>, opts: RunOptions): Promise<RunResult> {
  const t0 = performance.now();
  const model = h.model;
  const parameters = (model.parameters ?? {}) as Record<string, unknown>;
  const cfg0 = own(ctx.providers, model.provider) ?? (model.provider === 'echo' ? { type: 'echo' as const } : undefined);
  const tel = new CallTelemetry({
    promptId: h.id,
    version: h.version,
    variant: h.variant,
    sha256: h.sha256,
    env: ctx.env,
    providerType: cfg0?.type ?? 'unknown',
    providerName: model.provider,
    baseUrl: cfg0?.base_url ? displayUrl(cfg0.base_url) : '',
    model: model.name,
    parameters,
  });
  let attempts = 0;
  const secrets = cfg0 ? secretsOf(ctx, cfg0) : [];
  const result = (output: string, data: unknown, a: Answer | null, fallback: FallbackInfo | null): RunResult => ({
    id: h.id,
    version: h.version,
    variant: h.variant,
    sha256: h.sha256,
    output,
    data: h.output?.format === 'json' ? data : null,
    usage: a?.completion.usage ?? null,
    cost_usd: a ? a.cost : 0,
    latency_ms: Math.round((performance.now() - t0) * 1000) / 1000,
    attempts,
    provider: a?.provider ?? null,
    model: a?.model ?? null,
    fallback,
  });
  const finish = (r: RunResult, a: Answer | null, errorType?: string): RunResult => {
    tel.end({
      outcome: r.fallback ? 'fallback' : 'ok',
      errorType,
      responseModel: a?.completion.responseModel,
      responseId: a?.completion.responseId,
      finishReasons: a?.completion.finishReasons,
      inputTokens: a?.completion.usage?.input,
      outputTokens: a?.completion.usage?.output,
      attempts,
      costUsd: r.cost_usd,
      fallbackReason: r.fallback?.reason,
      fallbackVia: r.fallback?.via,
      duration: r.latency_ms / 1000,
    });
    return r;
  };
  const fail = (e: unknown): never => {
    const pub = publicError(e, model.provider, secrets);
    const message = pub instanceof Error ? pub.message : String(pub);
    tel.end({ outcome: 'error', errorType: errorTypeOf(e), errorMessage: redact(message, secrets), attempts, costUsd: null, duration: (performance.now() - t0) / 1000 });
    throw pub;
  };

  let messages: Message[];
  try {
    messages = h.render(vars).messages;
  } catch (e) {
    return fail(e);
  }
  // parse a reply outside the try blocks below, so its OutputValidationError is reported once
  const serve = (text: string, a: Answer | null, fallback: FallbackInfo | null, errorType?: string): RunResult => {
    let data: unknown;
    try {
      data = h.parseOutput(text);
    } catch (e) {
      return fail(e);
    }
    return finish(result(text, data, a, fallback), a, errorType);
  };
  let primaryError: unknown;
  let answer: Answer | undefined;
  try {
    answer = await ask(ctx, model.provider, model.name, parameters, messages, h.id, tel, opts.signal, 0);
    attempts += answer.attempts;
  } catch (e) {
    attempts += attemptsOf(e);
    if (!(e instanceof Unavailable) && !(e instanceof BudgetRefusal)) return fail(e);
    primaryError = e;
  }
  if (answer) return serve(answer.completion.output, answer, null);

  // the primary could not serve: the fallback model, then the fallback text
  const fb: FallbackSpec | null = h.fallback;
  const reason: FallbackInfo['reason'] = primaryError instanceof BudgetRefusal ? 'budget_exceeded' : (primaryError as Unavailable).reason;
  const primaryMessage = redact(primaryError instanceof BudgetRefusal ? primaryError.error.message : unavailableMessage(primaryError as Unavailable, model.provider), secrets);
  const errorType = errorTypeOf(primaryError);
  if (fb?.provider && fb.model) {
    let viaModel: Answer | undefined;
    try {
      viaModel = await ask(ctx, fb.provider, fb.model, (fb.parameters ?? parameters) as Record<string, unknown>, messages, h.id, tel, opts.signal, attempts);
      attempts += viaModel.attempts;
    } catch (e) {
      attempts += attemptsOf(e);
      if (opts.signal?.aborted) return fail(e);
      if (fb.text === undefined) return fail(primaryError);
    }
    if (viaModel) return serve(viaModel.completion.output, viaModel, { reason, via: 'model', provider: fb.provider, model: fb.model, error: primaryMessage }, errorType);
  }
  if (fb?.text !== undefined) return serve(fb.text, null, { reason, via: 'text', provider: null, model: null, error: primaryMessage }, errorType);
  return fail(primaryError);
}

/** ProviderUnavailableError's message without making one (a fallback needs only the text). */
function unavailableMessage(e: Unavailable, provider: string): string {
  return ProviderUnavailableError.describe(provider, e.reason, e.attempts, e.lastError);
}

/**
 * The eval runner: renders each case once, gets a response (cache, or the provider with
 * retries, under a concurrency limit and a circuit breaker), runs the assertions, and streams
 * each finished case to `onResult`. Interruption (an aborted signal) stops scheduling; cases
 * that finished are kept, cases cut off mid-request are dropped.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compilePrompt, InputsInvalid, type CompiledPrompt } from '../core/render.js';
import type { Assertion, Message } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { runAssertions, type AssertionResult } from './assertions/index.js';
import { parseGrade, rubricMessages, type Grade } from './assertions/rubric.js';
import { cacheKey, ResponseCache, type CacheMode } from './cache.js';
import { CircuitBreaker } from './circuit.js';
import { redact, withRetries } from './http.js';
import { costOf, setupProvider, type ProviderSetup } from './providers/index.js';
import { ProviderError, type Completion, type Usage } from './providers/types.js';
import type { EvalTarget } from './suite.js';

export interface CaseResult {
  name: string;
  pass: boolean;
  /** why no output could be produced (render, provider, replay miss); null when it ran */
  error: string | null;
  output: string | null;
  latency_ms: number;
  tokens: Usage | null;
  cost_usd: number | null;
  cached: boolean;
  /** weighted share of assertions that passed (1 when there are none) */
  score: number;
  assertions: AssertionResult[];
}

export interface EvalRunOptions {
  registry: Registry;
  target: EvalTarget;
  /** provider name from the config; default: eval.provider, else the version's model.provider */
  provider?: string;
  concurrency?: number;
  cacheMode?: CacheMode;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onResult?: (r: CaseResult, done: number, total: number) => void;
  /** messages for --verbose (retries) */
  onLog?: (msg: string) => void;
  /** first backoff step in ms (tests make it small) */
  backoffBaseMs?: number;
}

export interface EvalRun {
  provider: string;
  provider_type: string;
  model: string;
  parameters: Record<string, unknown>;
  /** in suite order */
  results: CaseResult[];
  /** cases that applied */
  planned: number;
  interrupted: boolean;
  /** the circuit breaker's or a fatal error's message when the run stopped early */
  stopped: string | null;
  /** true when the stop was a configuration problem (wrong key, unknown model, bad base_url) */
  fatal: boolean;
  duration_ms: number;
  started_at: string;
}

export function chooseProvider(registry: Registry, target: EvalTarget, override?: string): string {
  return override ?? registry.config.eval.provider ?? target.prompt.model.provider;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export async function runEval(o: EvalRunOptions): Promise<EvalRun> {
  const { registry, target } = o;
  const started_at = new Date().toISOString();
  const t0 = performance.now();
  const cfg = registry.config.eval;
  const cacheMode = o.cacheMode ?? 'readwrite';
  const requireKey = cacheMode !== 'replay';
  const providerName = chooseProvider(registry, target, o.provider);
  const setups = new Map<string, ProviderSetup>();
  const getSetup = (name: string): ProviderSetup => {
    let s = setups.get(name);
    if (!s) {
      s = setupProvider(registry, name, o.env, { timeoutMs: cfg.timeout_ms, requireKey });
      setups.set(name, s);
    }
    return s;
  };
  const main = getSetup(providerName);
  // every grader provider is checked before the first request: a typo fails fast (exit 2)
  for (const c of target.cases) for (const a of c.assert) if (a.type === 'llm-rubric') getSetup(graderOf(a, providerName, target.prompt.model.name).provider);
  const secrets = [...setups.values()].flatMap((s) => s.secrets);
  target.remember?.();

  const model = target.prompt.model.name;
  const parameters = { ...(target.prompt.model.parameters ?? {}) };
  const cache = new ResponseCache(path.join(registry.stateDir, 'cache'), cacheMode);
  const pendingWrites: Promise<void>[] = [];
  const breaker = new CircuitBreaker(cfg.max_consecutive_failures);
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  if (o.signal) {
    if (o.signal.aborted) ac.abort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  }
  const signal = ac.signal;
  let stopped: string | null = null;
  let fatal = false;
  const stop = (msg: string, isFatal: boolean): void => {
    if (stopped === null) {
      stopped = msg;
      fatal = isFatal;
    }
    ac.abort();
  };

  let compiled: CompiledPrompt | undefined;
  let compileError: string | undefined;
  try {
    compiled = compilePrompt(target.prompt);
  } catch (e) {
    // compilePrompt throws TemplateError for templates and ajv's Error for an invalid inputs schema
    const what = (e as Error).name === 'TemplateError' ? "the prompt's template does not compile" : "the prompt's inputs schema is not a valid JSON Schema";
    compileError = `${what}: ${(e as Error).message.split('\n')[0]}`;
  }

  /** One response through cache → provider (retries, breaker). Returns null when cut off by abort. */
  async function respond(setup: ProviderSetup, mdl: string, params: Record<string, unknown>, messages: Message[], countForBreaker: boolean): Promise<{ completion: Completion; latency_ms: number; cached: boolean } | { error: string } | null> {
    const p = setup.provider;
    let key: string | undefined;
    if (p.remote && cacheMode !== 'off') {
      key = cacheKey({ type: p.type, baseUrl: p.baseUrl, model: mdl, parameters: params, messages });
      const hit = cache.get(key);
      if (hit) return { completion: { output: hit.output, usage: hit.usage }, latency_ms: hit.latency_ms, cached: true };
      if (cacheMode === 'replay') return { error: 'no recorded response for this case (--replay reads only the cache; record it first with --record)' };
    }
    let latency = 0;
    try {
      const completion = await withRetries(
        async () => {
          const s = performance.now();
          const c = await p.complete({ model: mdl, parameters: params, messages, signal });
          latency = round(performance.now() - s);
          return c;
        },
        {
          retries: cfg.retries,
          baseMs: o.backoffBaseMs,
          signal,
          onRetry: (err, attempt, wait) => o.onLog?.(`retry ${attempt}/${cfg.retries} in ${wait} ms: ${err.message}`),
        },
      );
      if (p.remote && secrets.length) completion.output = redact(completion.output, secrets);
      if (countForBreaker) breaker.success();
      if (key !== undefined) {
        const entry = { output: completion.output, usage: completion.usage, latency_ms: latency, provider_type: p.type, model: mdl, created: new Date().toISOString() };
        pendingWrites.push(cache.set(key, entry).catch((e: unknown) => o.onLog?.(`cannot write the response cache: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)));
      }
      return { completion, latency_ms: latency, cached: false };
    } catch (e) {
      if (signal.aborted && stopped === null) return null; // interrupted: the case did not finish
      if (e instanceof ProviderError && e.opts.kind === 'aborted') return null;
      const msg = redact(e instanceof Error ? e.message : String(e), secrets);
      if (e instanceof ProviderError && e.fatal) stop(msg, true);
      else if (countForBreaker && breaker.failure(msg)) stop(breaker.message, false);
      return { error: msg };
    }
  }

  const grade = async (a: Assertion, output: string): Promise<Grade> => {
    const g = graderOf(a, providerName, model);
    const r = await respond(getSetup(g.provider), g.model, { temperature: 0 }, rubricMessages(a.rubric ?? '', output), false);
    if (r === null) throw new Error('interrupted');
    if ('error' in r) throw new Error(r.error);
    const parsed = parseGrade(r.completion.output, a.threshold ?? 0.5);
    if (!parsed) throw new Error(`the grader's answer has no verdict: ${JSON.stringify(r.completion.output.slice(0, 100))}`);
    return parsed;
  };

  async function runCase(i: number): Promise<CaseResult | null> {
    const c = target.cases[i]!;
    const base = { name: c.name, output: null, latency_ms: 0, tokens: null, cost_usd: null, cached: false, score: 0, assertions: [] };
    if (!compiled) return { ...base, pass: false, error: compileError ?? 'the prompt does not compile' };
    let messages: Message[];
    try {
      messages = compiled.render(c.vars);
    } catch (e) {
      if (e instanceof InputsInvalid) return { ...base, pass: false, error: `vars do not match the prompt's inputs: ${e.message}` };
      return { ...base, pass: false, error: `render failed: ${(e as Error).message.split('\n')[0]}` };
    }
    const r = await respond(main, model, parameters, messages, true);
    if (r === null) return null;
    if ('error' in r) return { ...base, pass: false, error: r.error };
    const { completion, latency_ms, cached } = r;
    const cost_usd = costOf(completion.usage, main.config.prices, model, main.provider.type);
    const assertions = await runAssertions(c.assert, {
      output: completion.output,
      latency_ms,
      tokens: completion.usage,
      cost_usd,
      outputSchema: target.prompt.output?.schema,
      grade,
    });
    if (signal.aborted && stopped === null && assertions.some((x) => x.type === 'llm-rubric' && !x.pass && x.message.endsWith('interrupted'))) return null;
    let total = 0;
    let got = 0;
    let pass = true;
    for (const a of assertions) {
      total += a.weight;
      if (a.pass) got += a.weight;
      else pass = false;
    }
    return { name: c.name, pass, error: null, output: completion.output, latency_ms, tokens: completion.usage, cost_usd, cached, score: total === 0 ? (pass ? 1 : 0) : got / total, assertions };
  }

  const n = target.cases.length;
  const slots: (CaseResult | null | undefined)[] = new Array<CaseResult | null | undefined>(n);
  let next = 0;
  let done = 0;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? cfg.concurrency, n || 1));
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const i = next++;
      if (i >= n) return;
      const r = await runCase(i);
      slots[i] = r;
      if (r) {
        done++;
        o.onResult?.(r, done, n);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    await Promise.all(pendingWrites); // every response that came back is in the cache before we return
  }
  const results: CaseResult[] = [];
  for (const r of slots) if (r) results.push(r);
  return {
    provider: providerName,
    provider_type: main.provider.type,
    model,
    parameters,
    results,
    planned: n,
    interrupted: stopped === null && (o.signal?.aborted ?? false),
    stopped,
    fatal,
    duration_ms: round(performance.now() - t0),
    started_at,
  };
}

/** The grader of an llm-rubric assertion: its `provider` and `model`, by default the provider and model under test. */
export function graderOf(a: Assertion, provider: string, model: string): { provider: string; model: string } {
  return { provider: a.provider ?? provider, model: a.model ?? model };
}


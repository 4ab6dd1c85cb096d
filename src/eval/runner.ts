/**
 * The eval runner: renders each case once, gets a response (cache, or the provider with
 * retries, under a concurrency limit and a circuit breaker), runs the assertions, and streams
 * each finished case to `onResult`. With `repeat` N each case runs N times (runs after the
 * first never read or write the cache) and passes when at least `casePassRate` of its runs
 * pass. A shared `limiter` bounds the requests in flight across several runs, and a shared
 * `budget` (`--max-cost`) refuses requests that would exceed it. Interruption (an aborted
 * signal) stops scheduling; cases that finished are kept, cases cut off mid-request are dropped.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compilePrompt, InputsInvalid, type CompiledPrompt } from '../core/render.js';
import type { Assertion, Message } from '../core/types.js';
import type { Registry } from '../registry/registry.js';
import { runAssertions, type AssertionResult } from './assertions/index.js';
import { parseGrade, rubricMessages, type Grade } from './assertions/rubric.js';
import { cacheKey, ResponseCache, type CacheMode } from './cache.js';
import { trackedState } from '../registry/state.js';
import { CircuitBreaker } from './circuit.js';
import { redact, withRetries } from '../providers/http.js';
import { costOf, setupProvider, type ProviderSetup } from './providers/index.js';
import { ProviderError, type Completion, type ReplyKind, type Usage } from '../providers/types.js';
import type { EvalTarget } from './suite.js';
import type { ShardInfo } from './shard.js';
import { Limiter } from './limiter.js';
import { estimateRequestCost, type Budget, type Reservation } from './budget.js';
import { UsageError } from '../errors.js';
import { chooseProvider, graderOf } from './choose.js';
import { configDigest, providersUsed } from './config-digest.js';
import { own } from '../core/own.js';

export { chooseProvider, graderOf };

/** One run of a case: the response and what the assertions said of it. */
export interface RunOutcome {
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
  /** requests sent to the provider for this run (retries included; 0 when answered from the cache), absent before it was recorded */
  attempts?: number;
  /** of the waits between attempts, the time the provider asked for with Retry-After (present when > 0) */
  retry_after_ms?: number;
  /** a valid reply that is not plain text (absent: text): refusal, tool_calls, empty (providers/types.ts) */
  reply?: ReplyKind;
}

/**
 * A case's result. Without repeats it is its one run. With `repeat` N > 1, `pass` is the
 * decision (`runs_passed / runs >= case_pass_rate`), the run fields (output, error, latency,
 * assertions, score, cached) are those of the first run that agrees with the decision,
 * `tokens` and `cost_usd` are totals over the runs, and `repeats` holds every run in order.
 */
export interface CaseResult extends RunOutcome {
  name: string;
  /** with repeat > 1 */
  runs?: number;
  runs_passed?: number;
  pass_rate?: number;
  repeats?: RunOutcome[];
  /** position of the case in the suite file, recorded by shard runs so that merge restores suite order */
  index?: number;
}

export interface EvalRunOptions {
  registry: Registry;
  target: EvalTarget;
  /** provider name from the config; default: eval.provider, else the version's model.provider */
  provider?: string;
  /** the model name sent (default: the version's model.name) */
  model?: string;
  concurrency?: number;
  /** runs per case (default 1) */
  repeat?: number;
  /** share of a case's runs that must pass (default 1) */
  casePassRate?: number;
  /** shared by the runs of one invocation; default: a limiter of `concurrency` for this run */
  limiter?: Limiter;
  /** `--max-cost`, shared by the runs of one invocation */
  budget?: Budget;
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
  repeat: number;
  case_pass_rate: number;
  /** a request was refused by `--max-cost`: cases after it did not run */
  budget_exhausted: boolean;
  /** digest of the config entries of the providers used (config-digest.ts) */
  config_sha256?: string;
  shard?: ShardInfo;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** A run whose providers were set up and checked: nothing has been sent or written yet. */
export interface PreparedEval {
  readonly options: EvalRunOptions;
  readonly providerName: string;
  readonly model: string;
  readonly setups: Map<string, ProviderSetup>;
}

/**
 * Sets up the providers of a run (the one under test and every llm-rubric grader) and checks
 * what would make it fail at once: unknown provider, missing key, a budget without prices.
 * Throws UsageError (exit 2); sends nothing and writes nothing.
 */
export function prepareEval(o: EvalRunOptions): PreparedEval {
  const { registry, target } = o;
  const cfg = registry.config.eval;
  const requireKey = (o.cacheMode ?? 'readwrite') !== 'replay';
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
  getSetup(providerName);
  const model = o.model ?? target.prompt.model.name;
  // every grader provider is checked before the first request: a typo fails fast (exit 2)
  const graders = new Map<string, { provider: string; model: string }>();
  for (const c of target.cases) {
    for (const a of c.assert) {
      if (a.type !== 'llm-rubric') continue;
      const g = graderOf(a, providerName, model);
      getSetup(g.provider);
      graders.set(`${g.provider}\0${g.model}`, g);
    }
  }
  if (o.budget) {
    // a budget is only as good as its estimates: every priced request must have a price
    for (const [p, m] of [[providerName, model] as const, ...[...graders.values()].map((g) => [g.provider, g.model] as const)]) {
      const s = getSetup(p);
      if (s.provider.type !== 'echo' && !own(s.config.prices, m)) {
        throw new UsageError(`--max-cost needs the price of model "${m}" of provider "${p}" to estimate each request, but prompts.config.yaml has none`, {
          location: { file: 'prompts.config.yaml' },
          hint: `add providers.${p}.prices.${m}: { input_per_1m: <usd>, output_per_1m: <usd> }`,
        });
      }
    }
  }
  return { options: o, providerName, model, setups };
}

export async function runEval(o: EvalRunOptions | PreparedEval): Promise<EvalRun> {
  const prepared = 'setups' in o ? o : prepareEval(o);
  return execute(prepared);
}

async function execute(prepared: PreparedEval): Promise<EvalRun> {
  const { options: o, providerName, model, setups } = prepared;
  const { registry, target } = o;
  const started_at = new Date().toISOString();
  const t0 = performance.now();
  const cfg = registry.config.eval;
  const cacheMode = o.cacheMode ?? 'readwrite';
  const repeat = o.repeat ?? 1;
  const casePassRate = o.casePassRate ?? 1;
  const getSetup = (name: string): ProviderSetup => {
    const s = setups.get(name);
    if (!s) throw new Error(`provider "${name}" was not prepared`);
    return s;
  };
  const main = getSetup(providerName);
  const secrets = [...setups.values()].flatMap((s) => s.secrets);
  const config_sha256 = configDigest(registry, providersUsed(target, providerName, model));
  target.remember?.();

  const parameters = { ...(target.prompt.model.parameters ?? {}) };
  const tracked = await trackedState(registry.root);
  const cache = new ResponseCache(registry.root, path.join(registry.stateDir, 'cache'), cacheMode, tracked);
  const noCache = new ResponseCache(registry.root, path.join(registry.stateDir, 'cache'), 'off', tracked);
  const pendingWrites: Promise<void>[] = [];
  const breaker = new CircuitBreaker(cfg.max_consecutive_failures);
  const n = target.cases.length;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? cfg.concurrency, n * repeat || 1));
  const limiter = o.limiter ?? new Limiter(concurrency);
  const budget = o.budget;
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  if (o.signal) {
    if (o.signal.aborted) ac.abort();
    else o.signal.addEventListener('abort', onAbort, { once: true });
  }
  const signal = ac.signal;
  let stopped: string | null = null;
  let fatal = false;
  let budgetExhausted = false;
  const stop = (msg: string, isFatal: boolean): void => {
    if (stopped === null) {
      stopped = msg;
      fatal = isFatal;
    }
    ac.abort();
  };
  /** --max-cost refused a request: schedule nothing more, but let the requests in flight finish */
  const exhaust = (): void => {
    if (budgetExhausted) return;
    budgetExhausted = true;
    if (stopped === null) stopped = `the --max-cost budget of $${budget?.maxUsd} is exhausted ($${(budget?.spent ?? 0).toFixed(6)} spent): cases that would exceed it did not run`;
  };

  let compiled: CompiledPrompt | undefined;
  let compileError: string | undefined;
  try {
    compiled = compilePrompt(target.prompt, target.library);
  } catch (e) {
    // compilePrompt throws TemplateError for templates and ajv's Error for an invalid inputs schema
    const what = (e as Error).name === 'TemplateError' ? "the prompt's template does not compile" : "the prompt's inputs schema is not a valid JSON Schema";
    compileError = `${what}: ${(e as Error).message.split('\n')[0]}`;
  }

  /** what the retry loop did for one response: requests sent, and the Retry-After time waited */
  type Tries = { attempts: number; retry_after_ms: number };
  type Response = ({ completion: Completion; latency_ms: number; cached: boolean } & Tries) | ({ error: string } & Tries) | null;
  /**
   * One response through cache → budget → limiter → provider (retries, breaker). Returns null
   * when cut off by abort or refused by the budget (the case did not finish).
   */
  async function respond(setup: ProviderSetup, mdl: string, params: Record<string, unknown>, messages: Message[], opts: { countForBreaker: boolean; fresh: boolean }): Promise<Response> {
    const p = setup.provider;
    const store = opts.fresh ? noCache : cache;
    let key: string | undefined;
    if (p.remote && store.mode !== 'off') {
      key = cacheKey({ type: p.type, baseUrl: p.baseUrl, model: mdl, parameters: params, messages, ...(Object.keys(target.deps ?? {}).length ? { resolved: target.resolved_sha256 } : {}) });
      const hit = store.get(key);
      if (hit) return { completion: { output: hit.output, usage: hit.usage, ...(hit.reply ? { reply: hit.reply } : {}) }, latency_ms: hit.latency_ms, cached: true, attempts: 0, retry_after_ms: 0 };
      if (cacheMode === 'replay') return { error: 'no recorded response for this case (--replay reads only the cache; record it first with --record)', attempts: 0, retry_after_ms: 0 };
    }
    let reservation: Reservation | null = null;
    if (budget) {
      const estimate = estimateRequestCost({ messages, parameters: params, model: mdl }, setup.config.prices, p.type) ?? 0;
      if (estimate > 0 || budget.exhausted) {
        reservation = await budget.reserve(estimate, signal);
        if (reservation === null) {
          if (!signal.aborted) exhaust();
          return null;
        }
      }
    }
    let latency = 0;
    let cost: number | null = null;
    const tries: Tries = { attempts: 0, retry_after_ms: 0 };
    const release = p.remote ? await limiter.acquire() : undefined;
    try {
      if (signal.aborted) return null;
      const completion = await withRetries(
        async () => {
          tries.attempts++;
          const s = performance.now();
          const c = await p.complete({ model: mdl, parameters: params, messages, signal });
          latency = round(performance.now() - s);
          return c;
        },
        {
          retries: cfg.retries,
          baseMs: o.backoffBaseMs,
          signal,
          onRetry: (err, attempt, wait) => {
            if (err.opts.retryAfterMs !== undefined) tries.retry_after_ms += wait;
            o.onLog?.(`retry ${attempt}/${cfg.retries} in ${wait} ms${err.opts.retryAfterMs !== undefined ? ' (Retry-After)' : ''}: ${err.message}`);
          },
        },
      );
      cost = costOf(completion.usage, setup.config.prices, mdl, p.type);
      if (p.remote && secrets.length) completion.output = redact(completion.output, secrets);
      if (opts.countForBreaker) breaker.success();
      if (key !== undefined) {
        const entry = { output: completion.output, usage: completion.usage, latency_ms: latency, provider_type: p.type, model: mdl, created: new Date().toISOString(), ...(completion.reply ? { reply: completion.reply } : {}) };
        pendingWrites.push(store.set(key, entry).catch((e: unknown) => o.onLog?.(`cannot write the response cache: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)));
      }
      return { completion, latency_ms: latency, cached: false, ...tries };
    } catch (e) {
      if (signal.aborted && stopped === null) return null; // interrupted: the case did not finish
      if (e instanceof ProviderError && e.opts.kind === 'aborted') return null;
      const raw = redact(e instanceof Error ? e.message : String(e), secrets);
      // the retries are part of the story: "after 3 attempts" (a first-try failure says nothing more)
      const msg = tries.attempts > 1 ? `${raw} (after ${tries.attempts} attempts)` : raw;
      if (e instanceof ProviderError && e.fatal) stop(msg, true);
      else if (opts.countForBreaker && breaker.failure(raw)) stop(breaker.message, false);
      return { error: msg, ...tries };
    } finally {
      release?.();
      // a failed request is counted at its estimate (it may have been billed)
      reservation?.settle(cost);
    }
  }

  const grade = (fresh: boolean) => async (a: Assertion, output: string): Promise<Grade> => {
    const g = graderOf(a, providerName, model);
    const r = await respond(getSetup(g.provider), g.model, { temperature: 0 }, rubricMessages(a.rubric ?? '', output), { countForBreaker: false, fresh });
    if (r === null) throw new Error('interrupted');
    if ('error' in r) throw new Error(r.error);
    const parsed = parseGrade(r.completion.output, a.threshold ?? 0.5);
    if (!parsed) throw new Error(`the grader's answer has no verdict: ${JSON.stringify(r.completion.output.slice(0, 100))}`);
    return parsed;
  };

  const failed = (error: string, tries?: Tries): RunOutcome => ({
    pass: false, error, output: null, latency_ms: 0, tokens: null, cost_usd: null, cached: false, score: 0, assertions: [],
    ...(tries ? triesOf(tries) : {}),
  });
  /** The rendered messages of each case (rendered once, shared by its repeats), or why not. */
  const rendered = new Map<number, Message[] | string>();
  const render = (i: number): Message[] | string => {
    let m = rendered.get(i);
    if (m !== undefined) return m;
    const c = target.cases[i]!;
    if (!compiled) m = compileError ?? 'the prompt does not compile';
    else {
      try {
        m = compiled.render(c.vars);
      } catch (e) {
        m = e instanceof InputsInvalid ? `vars do not match the prompt's inputs: ${e.message}` : `render failed: ${(e as Error).message.split('\n')[0]}`;
      }
    }
    if (repeat > 1) rendered.set(i, m);
    return m;
  };

  /** One run of case `i` (`rep` 0 may use the cache; later repeats ask the provider). */
  async function runOnce(i: number, rep: number): Promise<RunOutcome | null> {
    const c = target.cases[i]!;
    const messages = render(i);
    if (typeof messages === 'string') return failed(messages);
    const fresh = rep > 0;
    const r = await respond(main, model, parameters, messages, { countForBreaker: true, fresh });
    if (r === null) return null;
    if ('error' in r) return failed(r.error, r);
    const { completion, latency_ms, cached } = r;
    const cost_usd = costOf(completion.usage, main.config.prices, model, main.provider.type);
    const assertions = await runAssertions(c.assert, {
      output: completion.output,
      latency_ms,
      tokens: completion.usage,
      cost_usd,
      outputSchema: target.prompt.output?.schema,
      grade: grade(fresh),
    });
    // a grader cut off by Ctrl-C or by the budget: the case did not finish
    if (((signal.aborted && stopped === null) || budgetExhausted) && assertions.some((x) => x.type === 'llm-rubric' && !x.pass && x.message.endsWith('interrupted'))) return null;
    let total = 0;
    let got = 0;
    let pass = true;
    for (const a of assertions) {
      total += a.weight;
      if (a.pass) got += a.weight;
      else pass = false;
    }
    return {
      pass, error: null, output: completion.output, latency_ms, tokens: completion.usage, cost_usd, cached, score: total === 0 ? (pass ? 1 : 0) : got / total, assertions,
      ...triesOf(r),
      ...(completion.reply ? { reply: completion.reply } : {}),
    };
  }

  const slots: (CaseResult | null | undefined)[] = new Array<CaseResult | null | undefined>(n);
  const runsOf: (RunOutcome | null)[][] = repeat > 1 ? Array.from({ length: n }, () => []) : [];
  const pendingRuns: number[] = repeat > 1 ? new Array<number>(n).fill(repeat) : [];
  let next = 0;
  let done = 0;
  const units = n * repeat;
  const finish = (i: number, r: CaseResult | null): void => {
    slots[i] = r;
    if (r) {
      if (target.shard) r.index = target.cases[i]!.index;
      done++;
      o.onResult?.(r, done, n);
    }
  };
  const worker = async (): Promise<void> => {
    while (!signal.aborted && !budgetExhausted) {
      const u = next++;
      if (u >= units) return;
      const i = repeat > 1 ? Math.floor(u / repeat) : u;
      const rep = repeat > 1 ? u % repeat : 0;
      const r = await runOnce(i, rep);
      if (repeat === 1) {
        finish(i, r === null ? null : { name: target.cases[i]!.name, ...r });
        continue;
      }
      runsOf[i]![rep] = r;
      if (--pendingRuns[i]! === 0) {
        const runs = runsOf[i]!;
        finish(i, runs.some((x) => x === null) ? null : decide(target.cases[i]!.name, runs as RunOutcome[], casePassRate));
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
    repeat,
    case_pass_rate: casePassRate,
    budget_exhausted: budgetExhausted,
    config_sha256,
    shard: target.shard,
  };
}

/**
 * A repeated case's verdict: it passes when at least `casePassRate` of its runs pass. Its run
 * fields are those of the first run that agrees with the verdict; tokens and cost are totals.
 */
function triesOf(t: { attempts: number; retry_after_ms: number }): Pick<RunOutcome, 'attempts' | 'retry_after_ms'> {
  return { attempts: t.attempts, ...(t.retry_after_ms > 0 ? { retry_after_ms: t.retry_after_ms } : {}) };
}

export function decide(name: string, runs: readonly RunOutcome[], casePassRate: number): CaseResult {
  const passed = runs.filter((r) => r.pass).length;
  // passed / runs >= rate, without float surprises (4/5 >= 0.8)
  const pass = runs.length > 0 && passed >= casePassRate * runs.length - 1e-9;
  const rep = runs.find((r) => r.pass === pass) ?? runs[0]!;
  let tokens: Usage | null = null;
  let cost: number | null = 0;
  for (const r of runs) {
    if (r.tokens) {
      tokens ??= { input: 0, output: 0, total: 0 };
      tokens.input += r.tokens.input;
      tokens.output += r.tokens.output;
      tokens.total += r.tokens.total;
    }
    if (r.error === null) cost = cost === null || r.cost_usd === null ? null : cost + r.cost_usd;
  }
  const attempts = runs.reduce((t, r) => t + (r.attempts ?? 0), 0);
  const retryAfter = runs.reduce((t, r) => t + (r.retry_after_ms ?? 0), 0);
  const { attempts: _a, retry_after_ms: _w, ...shown } = rep;
  return {
    name,
    ...shown,
    // over every run of the case
    ...(runs.some((r) => r.attempts !== undefined) ? { attempts } : {}),
    ...(retryAfter > 0 ? { retry_after_ms: retryAfter } : {}),
    pass,
    tokens,
    cost_usd: cost === null ? null : Math.round(cost * 1e10) / 1e10,
    runs: runs.length,
    runs_passed: passed,
    pass_rate: Math.round((passed / runs.length) * 10000) / 10000,
    repeats: [...runs],
  };
}



/**
 * The runtime object behind loadRegistry and loadBundle: a set of prompt handles, each compiled
 * on first use (templates and the inputs validator once; the output validator on first
 * parseOutput), so loading 1,000 prompts costs little and every later render is fast.
 */
import type { ValidateFunction } from 'ajv';
import { compilePrompt, InputsInvalid, userSchemaAjv, type CompiledPrompt } from '../core/render.js';
import { TemplateError } from '../core/template.js';
import { didYouMean } from '../core/suggest.js';
import type { BudgetConfig, FallbackSpec, Message, ModelConfig, OutputSpec, JsonSchema } from '../core/types.js';
import { InputValidationError, OutputValidationError, PromptDefinitionError, PromptNotFoundError } from './errors.js';
import { describeOutputErrors, stripJsonFence } from './output.js';
import type { BundleProvider, EntryFields } from './bundle-format.js';
import type { BudgetStore } from './budget.js';
import type { GetOptions, PromptHandle, PromptSet, RenderedPrompt, RunOptions, RunResult, Variant } from './types.js';

/** What run() needs besides the prompt: the environment's providers (never keys), budget and stores. */
export interface RunContext {
  /** the environment name (promptrail.prompt.env) */
  env: string;
  providers: Record<string, BundleProvider>;
  budget: BudgetConfig | null;
  budgetStore: BudgetStore;
  /** where keys are read at call time */
  processEnv: NodeJS.ProcessEnv;
  /** for messages: "the production bundle" */
  where: string;
}

// run() and everything only it needs (providers, resilience, OpenTelemetry) load on first use,
// so `import 'promptrail'` for render() stays light
let runModule: Promise<typeof import('./run.js')> | undefined;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

class Handle implements PromptHandle {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  readonly variant: Variant;
  readonly fallback: FallbackSpec | null;
  readonly #ctx: RunContext | undefined;
  readonly model: ModelConfig;
  readonly inputs: JsonSchema | null;
  readonly output: OutputSpec | null;
  readonly messages: readonly Message[];
  #compiled: CompiledPrompt | undefined;
  #outputValidate: ValidateFunction | undefined;

  constructor(e: EntryFields, variant: Variant, ctx: RunContext | undefined) {
    this.id = e.id;
    this.version = e.version;
    this.sha256 = e.sha256;
    this.variant = variant;
    this.fallback = deepFreeze(structuredClone(e.fallback ?? null));
    this.#ctx = ctx;
    this.model = deepFreeze(structuredClone(e.model));
    this.inputs = deepFreeze(structuredClone(e.inputs));
    this.output = deepFreeze(structuredClone(e.output));
    this.messages = deepFreeze(structuredClone(e.messages));
  }

  #compile(): CompiledPrompt {
    let compiled: CompiledPrompt;
    try {
      compiled = compilePrompt({ messages: [...this.messages], inputs: this.inputs ?? undefined });
    } catch (e) {
      throw new PromptDefinitionError(this.id, this.version, e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
    if (compiled.undeclared.length) {
      const names = compiled.undeclared.map((v) => `"${v}"`).join(', ');
      throw new PromptDefinitionError(this.id, this.version, `the template uses ${names}, not declared in inputs`);
    }
    return compiled;
  }

  render(vars: Record<string, unknown>): RenderedPrompt {
    const compiled = (this.#compiled ??= this.#compile());
    let messages: Message[];
    try {
      messages = compiled.render(vars);
    } catch (e) {
      if (e instanceof InputsInvalid) throw new InputValidationError(this.id, this.version, e.problems);
      if (e instanceof TemplateError) throw new InputValidationError(this.id, this.version, [{ field: e.variable ?? '', message: e.message }]);
      throw e;
    }
    return { id: this.id, version: this.version, sha256: this.sha256, model: this.model, messages };
  }

  parseOutput(text: string): unknown {
    if (typeof text !== 'string') {
      throw new OutputValidationError(this.id, this.version, [{ field: '', message: `the reply must be a string, got ${text === null ? 'null' : typeof text}` }], String(text));
    }
    if (!this.output || this.output.format !== 'json') return text;
    const body = stripJsonFence(text);
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new OutputValidationError(this.id, this.version, [{ field: '', message: `the reply is not valid JSON (${why})` }], text);
    }
    const schema = this.output.schema;
    if (schema) {
      if (!this.#outputValidate) {
        try {
          this.#outputValidate = userSchemaAjv().compile(schema);
        } catch (e) {
          throw new PromptDefinitionError(this.id, this.version, `output.schema is not a valid JSON Schema: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (!this.#outputValidate(data)) throw new OutputValidationError(this.id, this.version, describeOutputErrors(this.#outputValidate.errors), text);
    }
    return data;
  }

  async run(vars: Record<string, unknown>, opts: RunOptions = {}): Promise<RunResult> {
    const ctx = this.#ctx;
    if (!ctx) throw new PromptDefinitionError(this.id, this.version, 'this prompt set has no runtime config (load it with loadBundle or loadRegistry)');
    const { runPrompt } = await (runModule ??= import('./run.js'));
    return runPrompt(this, ctx, vars, opts);
  }
}

export interface PromptSetMeta {
  env: string;
  origin: 'registry' | 'bundle';
  commit: string | null;
  /** for messages: "the production bundle", "environment \"production\"" */
  where: string;
}

/**
 * `entries` are sorted by id. `beforeFirstUse(id)` runs once per id before its handle is made
 * (loadBundle re-checks the entry against its source there); it throws to refuse the prompt.
 */
/**
 * The arm `key` gets for prompt `id`. Without a rollout every key gets the stable arm. The rollout
 * work (SPEC §12) extends the bundle entry (and loadRegistry's) with the pin's candidate, decides
 * here by bucket, and builds the candidate's Handle from the candidate's fields in get() below.
 */
export function chooseVariant(_entry: EntryFields, _key: string | undefined): Variant {
  return 'stable';
}

export function makePromptSet(meta: PromptSetMeta, entries: Map<string, EntryFields>, beforeFirstUse?: (id: string) => void, ctx?: RunContext, close: () => void = () => {}): PromptSet {
  // one handle per (id, arm); the stable arm's under the id itself
  const handles = new Map<string, Handle>();
  const ids = [...entries.keys()].sort();
  const get = (id: string, opts?: GetOptions): Handle => {
    const e = typeof id === 'string' ? entries.get(id) : undefined;
    if (!e) throw new PromptNotFoundError(String(id), meta.where, typeof id === 'string' ? didYouMean(id, ids) : undefined);
    const variant = opts?.key === undefined ? 'stable' : chooseVariant(e, opts.key);
    const slot = variant === 'stable' ? id : `${id}\0${variant}`;
    const have = handles.get(slot);
    if (have) return have;
    if (!handles.has(id) && !handles.has(`${id}\0candidate`)) beforeFirstUse?.(id);
    const h = new Handle(e, variant, ctx);
    handles.set(slot, h);
    return h;
  };
  const set = {
    env: meta.env,
    origin: meta.origin,
    commit: meta.commit,
    get,
    has: (id: string) => entries.has(id),
    ids: () => [...ids],
    list: () => ids.map((id) => get(id)),
    close,
  };
  return Object.freeze(set) as PromptSet;
}

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
import type { ArmFields, BundleProvider, EntryFields } from './bundle-format.js';
import { assignArm } from '../core/bucket.js';
import type { TemplateLibrary } from '../core/partials.js';
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
  readonly bucket: number | null = null;
  readonly fallback: FallbackSpec | null;
  readonly #ctx: RunContext | undefined;
  readonly model: ModelConfig;
  readonly inputs: JsonSchema | null;
  readonly output: OutputSpec | null;
  readonly messages: readonly Message[];
  /** the partials its templates include (resolved at build time: never read from disk here) */
  readonly #library: TemplateLibrary | undefined;
  #compiled: CompiledPrompt | undefined;
  #outputValidate: ValidateFunction | undefined;

  constructor(e: ArmFields, variant: Variant, ctx: RunContext | undefined) {
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
    this.#library = e.uses && e.partials ? deepFreeze(structuredClone({ uses: e.uses, partials: e.partials })) : undefined;
  }

  #compile(): CompiledPrompt {
    let compiled: CompiledPrompt;
    try {
      compiled = compilePrompt({ messages: [...this.messages], inputs: this.inputs ?? undefined }, this.#library);
    } catch (e) {
      throw new PromptDefinitionError(this.id, this.version, e instanceof Error ? e.message.split('\n')[0]! : String(e));
    }
    if (compiled.undeclared.length) {
      const names = compiled.undeclared.map((v) => `"${v}"`).join(', ');
      throw new PromptDefinitionError(this.id, this.version, `the template uses ${names}, not declared in inputs`);
    }
    if (compiled.problems.length) throw new PromptDefinitionError(this.id, this.version, `the template cannot render: ${compiled.problems.join('; ')}`);
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
    return { id: this.id, version: this.version, variant: this.variant, sha256: this.sha256, model: this.model, messages };
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

/** An arm's handle as `get(id, { key })` answers it: the arm's handle (shared, compiled once) plus the key's bucket. */
class KeyedHandle implements PromptHandle {
  readonly #arm: Handle;
  readonly bucket: number;
  constructor(arm: Handle, bucket: number) {
    this.#arm = arm;
    this.bucket = bucket;
  }
  get id(): string {
    return this.#arm.id;
  }
  get version(): string {
    return this.#arm.version;
  }
  get sha256(): string {
    return this.#arm.sha256;
  }
  get variant(): Variant {
    return this.#arm.variant;
  }
  get fallback(): FallbackSpec | null {
    return this.#arm.fallback;
  }
  get model(): ModelConfig {
    return this.#arm.model;
  }
  get inputs(): JsonSchema | null {
    return this.#arm.inputs;
  }
  get output(): OutputSpec | null {
    return this.#arm.output;
  }
  get messages(): readonly Message[] {
    return this.#arm.messages;
  }
  render(vars: Record<string, unknown>): RenderedPrompt {
    return this.#arm.render(vars);
  }
  parseOutput(text: string): unknown {
    return this.#arm.parseOutput(text);
  }
  run(vars: Record<string, unknown>, opts?: RunOptions): Promise<RunResult> {
    return this.#arm.run(vars, opts);
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
 * The arm `key` gets for prompt `id` (core/bucket.ts, SPEC §12): without a running rollout, or
 * without a key, the stable one (bucket null without a rollout); with both, the candidate iff the
 * key's bucket is among the top round(weight × 100).
 */
export function chooseVariant(entry: EntryFields, key: string | undefined): { variant: Variant; bucket: number | null } {
  const r = entry.rollout;
  if (!r || key === undefined) return { variant: 'stable', bucket: null };
  const { bucket, arm } = assignArm(r.salt, String(key), r.weight);
  return { variant: arm, bucket };
}

/**
 * `entries` are sorted by id. `beforeFirstUse(id, variant)` runs once per id and arm before its
 * first handle is made (loadBundle re-checks that arm against its source there); it throws to
 * refuse the prompt.
 */
export function makePromptSet(meta: PromptSetMeta, entries: Map<string, EntryFields>, beforeFirstUse?: (id: string, variant: Variant) => void, ctx?: RunContext, close: () => void = () => {}): PromptSet {
  // one handle per (id, arm), made once (templates compile once); a get() with a key answers a
  // handle with that key's bucket, sharing everything else with the arm's handle
  const handles = new Map<string, Handle>();
  const ids = [...entries.keys()].sort();
  const armHandle = (id: string, e: EntryFields, variant: Variant): Handle => {
    const slot = variant === 'stable' ? id : `${id}\0candidate`;
    let h = handles.get(slot);
    if (!h) {
      beforeFirstUse?.(id, variant);
      h = new Handle(variant === 'candidate' ? e.rollout!.candidate : e, variant, ctx);
      handles.set(slot, h);
    }
    return h;
  };
  const get = (id: string, opts?: GetOptions): PromptHandle => {
    const e = typeof id === 'string' ? entries.get(id) : undefined;
    if (!e) throw new PromptNotFoundError(String(id), meta.where, typeof id === 'string' ? didYouMean(id, ids) : undefined);
    const { variant, bucket } = chooseVariant(e, opts?.key);
    const h = armHandle(id, e, variant);
    if (bucket === null) return h;
    // the arm's handle with this key's bucket: compiled once for all keys
    return new KeyedHandle(h, bucket);
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

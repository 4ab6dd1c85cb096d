/**
 * The runtime object behind loadRegistry and loadBundle: a set of prompt handles, each compiled
 * on first use (templates and the inputs validator once; the output validator on first
 * parseOutput), so loading 1,000 prompts costs little and every later render is fast.
 */
import type { ValidateFunction } from 'ajv';
import { compilePrompt, InputsInvalid, userSchemaAjv, type CompiledPrompt } from '../core/render.js';
import { TemplateError } from '../core/template.js';
import { didYouMean } from '../core/suggest.js';
import type { Message, ModelConfig, OutputSpec, JsonSchema } from '../core/types.js';
import { InputValidationError, OutputValidationError, PromptDefinitionError, PromptNotFoundError } from './errors.js';
import { describeOutputErrors, stripJsonFence } from './output.js';
import type { EntryFields } from './bundle-format.js';
import type { PromptHandle, PromptSet, RenderedPrompt } from './types.js';

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
  readonly model: ModelConfig;
  readonly inputs: JsonSchema | null;
  readonly output: OutputSpec | null;
  readonly messages: readonly Message[];
  #compiled: CompiledPrompt | undefined;
  #outputValidate: ValidateFunction | undefined;

  constructor(e: EntryFields) {
    this.id = e.id;
    this.version = e.version;
    this.sha256 = e.sha256;
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
export function makePromptSet(meta: PromptSetMeta, entries: Map<string, EntryFields>, beforeFirstUse?: (id: string) => void): PromptSet {
  const handles = new Map<string, Handle>();
  const ids = [...entries.keys()].sort();
  const get = (id: string): Handle => {
    const have = handles.get(id);
    if (have) return have;
    const e = typeof id === 'string' ? entries.get(id) : undefined;
    if (!e) throw new PromptNotFoundError(String(id), meta.where, typeof id === 'string' ? didYouMean(id, ids) : undefined);
    beforeFirstUse?.(id);
    const h = new Handle(e);
    handles.set(id, h);
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
  };
  return Object.freeze(set) as PromptSet;
}

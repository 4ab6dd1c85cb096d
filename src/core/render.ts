/**
 * Rendering a prompt version: inputs validated against its `inputs` JSON Schema (ajv), then each
 * message's template rendered. Shared by `prompts render`, the eval runner and the runtime SDK
 * so all three produce the same messages for the same inputs.
 */
import type { ValidateFunction, ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { userRegExp } from './regex.js';
import addFormatsImport from 'ajv-formats';
import type { Message, ModelConfig, PromptFile, EnvironmentConfig, JsonSchema } from './types.js';
import { analyzeTemplate, compileTemplate, parseTemplate, templateIncludes, TemplateError, type CompiledTemplate } from './template.js';
import { didYouMean } from './suggest.js';
import { includedVariables, libraryFacts, partialFunctions, type TemplateLibrary } from './partials.js';
import { isObject } from './json.js';
import { plainSchema } from './plain-schema.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;

export interface InputProblem {
  /** the input's name (or path "a.b" for nested values); "" for the whole object */
  field: string;
  message: string;
}

let userAjv: Ajv2020 | undefined;
/** ajv for user-written schemas (prompt inputs/outputs): lenient about unknown keywords. */
export function userSchemaAjv(): Ajv2020 {
  if (!userAjv) {
    userAjv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: true, code: { regExp: userRegExp } });
    addFormats(userAjv);
  }
  return userAjv;
}

let plainAjv: Ajv2020 | undefined;
/**
 * Compiles a user-written schema. A plain one (core/plain-schema.ts: valid by construction) is
 * compiled without the meta-schema check, whose first use compiles the whole 2020-12
 * meta-schema (about 0.1 s of every `prompts eval` and `render`); the same options otherwise.
 */
export function compileUserSchema(schema: JsonSchema): ValidateFunction {
  if (!plainSchema(schema)) return userSchemaAjv().compile(schema);
  if (!plainAjv) {
    plainAjv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false, code: { regExp: userRegExp } });
    addFormats(plainAjv);
  }
  return plainAjv.compile(schema);
}

/** Returns why `schema` is not a valid JSON Schema, or null. */
export function schemaProblem(schema: unknown): string | null {
  try {
    if (plainSchema(schema)) {
      compileUserSchema(schema as JsonSchema);
      return null;
    }
    const ajv = userSchemaAjv();
    const ok = ajv.validateSchema(schema as JsonSchema);
    if (!ok) return ajv.errorsText(ajv.errors, { dataVar: 'schema' });
    ajv.compile(schema as JsonSchema);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/** The value at a JSON pointer of `data` (undefined when absent). */
function at(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/** The names declared by the schema object an ajv error's schemaPath ends in (its last keyword dropped). */
function declaredAt(schema: unknown, schemaPath: string): string[] {
  let node = schema;
  for (const raw of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).slice(0, -1)) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, seg)) return [];
    node = (node as Record<string, unknown>)[seg];
  }
  const props = node !== null && typeof node === 'object' && Object.hasOwn(node, 'properties') ? (node as { properties: unknown }).properties : undefined;
  return props !== null && typeof props === 'object' ? Object.keys(props) : [];
}

/**
 * ajv's errors for a prompt's inputs in words, one per field, with a did-you-mean (core/suggest.ts,
 * as everywhere in the CLI) from the names the schema declares at that level (an undeclared
 * input) or from the names the caller passed (a missing required input that was misspelled).
 */
export function describeInputErrors(errors: readonly ErrorObject[] | null | undefined, schema?: unknown, data?: unknown): InputProblem[] {
  const out: InputProblem[] = [];
  for (const e of errors ?? []) {
    const base = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
    if (e.keyword === 'required') {
      const f = (e.params as { missingProperty: string }).missingProperty;
      const here = at(data, e.instancePath);
      const declared = declaredAt(schema, e.schemaPath);
      const passed = here !== null && typeof here === 'object' && !Array.isArray(here) ? Object.keys(here).filter((k) => !declared.includes(k)) : [];
      const s = didYouMean(f, passed);
      const name = base ? `${base}.${f}` : f;
      out.push({ field: name, message: `missing required input "${name}"${s ? ` (you passed "${base ? `${base}.${s}` : s}": a typo?)` : ''}` });
    } else if (e.keyword === 'additionalProperties') {
      const f = (e.params as { additionalProperty: string }).additionalProperty;
      const name = base ? `${base}.${f}` : f;
      const s = didYouMean(f, declaredAt(schema, e.schemaPath));
      out.push({ field: name, message: `input "${name}" is not declared in the prompt's inputs${s ? `; did you mean "${base ? `${base}.${s}` : s}"?` : ''}` });
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      out.push({ field: base, message: `input "${base}" must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` });
    } else {
      out.push({ field: base, message: base ? `input "${base}" ${e.message ?? 'is invalid'}` : `inputs ${e.message ?? 'are invalid'}` });
    }
  }
  return out;
}

export class InputsInvalid extends Error {
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((p) => p.message).join('; '));
    this.name = 'InputsInvalid';
  }
}

/** The chat messages of a version: `messages`, or `template` as one user message. */
export function messagesOf(prompt: Pick<PromptFile, 'messages' | 'template'>): Message[] {
  if (prompt.messages) return prompt.messages;
  return [{ role: 'user', content: prompt.template ?? '' }];
}

/** Names declared in `inputs.properties`. */
export function declaredInputs(inputs: JsonSchema | undefined): string[] {
  const props = inputs?.properties;
  return props && typeof props === 'object' ? Object.keys(props as object) : [];
}

/**
 * A prompt version compiled once for repeated rendering: templates compiled, the inputs
 * validator compiled. `render` validates and renders; it throws InputsInvalid naming each bad field.
 */
export interface CompiledPrompt {
  render(vars: Record<string, unknown>): Message[];
  /** variables used by the templates but not declared in inputs ("examples[].speakr" for nested ones) */
  undeclared: string[];
  /**
   * What validate reports in the templates (core/template-scope.ts: `{{@index}}` outside #each,
   * a property of a string, `../` above the top, a problem in a branch that never runs …),
   * besides undeclared names: render refuses them all, so validate's verdict and render's outcome
   * agree. Reads that fail only for some inputs (an optional value without {{#if}}) are left to
   * Handlebars, which throws for exactly those inputs.
   */
  problems: string[];
}

/**
 * `library`: the partials its templates include (a resolved prompt's, core/resolve.ts); without
 * one, a template with `{{> name}}` does not compile.
 */
export function compilePrompt(prompt: Pick<PromptFile, 'messages' | 'template' | 'inputs'>, library?: TemplateLibrary): CompiledPrompt {
  const messages = messagesOf(prompt);
  const declared = declaredInputs(prompt.inputs);
  const declaredSet = new Set(declared);
  const used = new Set<string>();
  const nested = new Map<string, string>();
  const problems: string[] = [];
  const compiled: { role: Message['role']; fn: CompiledTemplate }[] = [];
  const partials = library && Object.keys(library.uses).length ? partialFunctions(library) : undefined;
  const facts = partials ? libraryFacts(library!) : undefined;
  for (const m of messages) {
    const parsed = parseTemplate(m.content);
    if ('ast' in parsed) {
      const a = analyzeTemplate(parsed.ast, prompt.inputs);
      for (const v of a.vars) used.add(v.name);
      for (const f of a.findings) {
        if (f.rule === 'input-undeclared') {
          if (!nested.has(f.path ?? f.message)) nested.set(f.path ?? f.message, f.message);
        } else if (f.rule !== 'template-optional' || !f.failsRender) problems.push(`${f.message} (template line ${f.line}, column ${f.column})`);
        // an optional value read without a guard fails for the inputs that lack it: Handlebars says so then
      }
      // what its partials use counts as used here: they render with this template's variables
      if (facts) for (const v of includedVariables(templateIncludes(parsed.ast), library!.uses, facts)) used.add(v.name);
    }
    compiled.push({ role: m.role, fn: compileTemplate(m.content, partials) });
  }
  const topLevel = [...used].filter((v) => !declaredSet.has(v));
  const undeclared = [...topLevel, ...nested.keys()];
  const undeclaredMessages = [
    ...topLevel.map((u) => {
      const s = didYouMean(u, declared);
      return { field: u, message: `the template uses "${u}", which is not declared in the prompt's inputs${s ? `; did you mean "${s}"?` : ''}` };
    }),
    ...[...nested].map(([field, message]) => ({ field, message })),
  ];
  let validate: ValidateFunction | undefined;
  if (prompt.inputs) validate = compileUserSchema(prompt.inputs);
  return {
    undeclared,
    problems,
    render(vars) {
      if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) {
        throw new InputsInvalid([{ field: '', message: 'inputs must be an object of name: value' }]);
      }
      const bad: InputProblem[] = [];
      bad.push(...undeclaredMessages);
      if (validate && !validate(vars)) bad.push(...describeInputErrors(validate.errors, prompt.inputs, vars));
      if (!prompt.inputs) {
        for (const k of Object.keys(vars)) bad.push({ field: k, message: `input "${k}" is not declared (the prompt has no inputs)` });
      }
      if (bad.length) throw new InputsInvalid(bad);
      if (problems.length) throw new TemplateError(`the template cannot render: ${problems.join('; ')}`, 0, 0);
      const ctx = renderContext(declared, vars);
      return compiled.map((c) => ({ role: c.role, content: c.fn(ctx) }));
    },
  };
}

/**
 * The top-level context templates render with: declared-but-absent optional inputs are present
 * as undefined, so strict mode allows {{#if x}} and {{x}}. It has no prototype (no inherited
 * names to read), but converts to a primitive like a plain object does: Handlebars compares a
 * block's new context with the current one (`context != depths[0]`) in templates that use
 * `../`, and a prototype-less object made that throw for `{{#each tags}}…{{../name}}` over strings.
 */
export function renderContext(declared: readonly string[], vars: Record<string, unknown>): Record<string, unknown> {
  const ctx = Object.create(null) as Record<string, unknown>;
  Object.defineProperty(ctx, Symbol.toPrimitive, { value: () => '[object Object]', enumerable: false });
  for (const d of declared) ctx[d] = undefined;
  for (const [k, v] of Object.entries(vars)) ctx[k] = v;
  return ctx;
}

/** Applies an environment's `overrides.model` to a version's model config (parameters merged). */
export function applyOverrides(model: ModelConfig, env: EnvironmentConfig | undefined): ModelConfig {
  const o = env?.overrides?.model;
  if (!o) return { ...model, parameters: { ...(model.parameters ?? {}) } };
  const parameters = { ...(model.parameters ?? {}) };
  if (isObject(o.parameters)) Object.assign(parameters, o.parameters);
  return {
    provider: o.provider ?? model.provider,
    name: o.name ?? model.name,
    parameters,
  };
}

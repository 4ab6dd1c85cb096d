/**
 * Rendering a prompt version: inputs validated against its `inputs` JSON Schema (ajv), then each
 * message's template rendered. Shared by `prompts render`, the eval runner and the runtime SDK
 * so all three produce the same messages for the same inputs.
 */
import type { ValidateFunction, ErrorObject } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import type { Message, ModelConfig, PromptFile, EnvironmentConfig, JsonSchema } from './types.js';
import { compileTemplate, parseTemplate, templateVariables, type CompiledTemplate } from './template.js';
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
    userAjv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: true });
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
    plainAjv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: false });
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

export function describeInputErrors(errors: readonly ErrorObject[] | null | undefined): InputProblem[] {
  const out: InputProblem[] = [];
  for (const e of errors ?? []) {
    const base = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
    if (e.keyword === 'required') {
      const f = (e.params as { missingProperty: string }).missingProperty;
      out.push({ field: base ? `${base}.${f}` : f, message: `missing required input "${base ? `${base}.${f}` : f}"` });
    } else if (e.keyword === 'additionalProperties') {
      const f = (e.params as { additionalProperty: string }).additionalProperty;
      const name = base ? `${base}.${f}` : f;
      out.push({ field: name, message: `input "${name}" is not declared in the prompt's inputs` });
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
  /** variables used by the templates but not declared in inputs */
  undeclared: string[];
}

export function compilePrompt(prompt: Pick<PromptFile, 'messages' | 'template' | 'inputs'>): CompiledPrompt {
  const messages = messagesOf(prompt);
  const declared = declaredInputs(prompt.inputs);
  const declaredSet = new Set(declared);
  const used = new Set<string>();
  const compiled: { role: Message['role']; fn: CompiledTemplate }[] = [];
  for (const m of messages) {
    const parsed = parseTemplate(m.content);
    if ('ast' in parsed) for (const v of templateVariables(parsed.ast)) used.add(v.name);
    compiled.push({ role: m.role, fn: compileTemplate(m.content) });
  }
  const undeclared = [...used].filter((v) => !declaredSet.has(v));
  let validate: ValidateFunction | undefined;
  if (prompt.inputs) validate = compileUserSchema(prompt.inputs);
  return {
    undeclared,
    render(vars) {
      if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) {
        throw new InputsInvalid([{ field: '', message: 'inputs must be an object of name: value' }]);
      }
      const problems: InputProblem[] = [];
      for (const u of undeclared) problems.push({ field: u, message: `the template uses "${u}", which is not declared in the prompt's inputs` });
      if (validate && !validate(vars)) problems.push(...describeInputErrors(validate.errors));
      if (!prompt.inputs) {
        for (const k of Object.keys(vars)) problems.push({ field: k, message: `input "${k}" is not declared (the prompt has no inputs)` });
      }
      if (problems.length) throw new InputsInvalid(problems);
      // Declared-but-absent optional inputs are present as undefined so strict mode allows {{#if x}} and {{x}}.
      const ctx: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const d of declared) ctx[d] = undefined;
      for (const [k, v] of Object.entries(vars)) ctx[k] = v;
      return compiled.map((c) => ({ role: c.role, content: c.fn(ctx) }));
    },
  };
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

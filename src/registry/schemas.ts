/**
 * JSON Schema validation with ajv (draft 2020-12) against the schemas shipped in `schemas/`.
 * Validators are compiled lazily, once per process.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { compiledModule } from '../validate/compiled.js';
import { schemaFile } from '../paths.js';

// ajv is loaded on first use only: with the build's precompiled validators, a valid file never
// needs it, and loading + compiling it was the largest part of every command's start-up.
const require = createRequire(import.meta.url);

export type SchemaKind = 'prompt' | 'suite' | 'environment' | 'config';


const cache = new Map<string, Record<string, unknown>>();
export function loadSchema(kind: SchemaKind | string): Record<string, unknown> {
  let s = cache.get(kind);
  if (!s) {
    s = JSON.parse(readFileSync(schemaFile(kind), 'utf8')) as Record<string, unknown>;
    cache.set(kind, s);
  }
  return s;
}

let ajvInstance: Ajv2020 | undefined;

/** One shared ajv for registry schemas: allErrors so validate reports every problem at once. */
export function getAjv(): Ajv2020 {
  if (!ajvInstance) {
    const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const formatsModule = require('ajv-formats') as { default?: unknown };
    const addFormats = (formatsModule.default ?? formatsModule) as (ajv: Ajv2020) => Ajv2020;
    // verbose: errors carry parentSchema, which describeAjvErrors needs for "did you mean" on unknown keys
    // validateSchema: false: our shipped schemas are fixed and tested; checking them against the
    // 2020-12 meta-schema on every run cost ~30% of the compile time on every command's start.
    ajvInstance = new AjvClass({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateSchema: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

const validators = new Map<string, ValidateFunction>();
function fullValidator(kind: SchemaKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = getAjv().compile(loadSchema(kind));
    validators.set(kind, v);
  }
  return v;
}

const KINDS: SchemaKind[] = ['prompt', 'suite', 'environment', 'config'];
let precompiled: Record<string, unknown> | null | undefined;
/** The build's standalone validators (see validate/precompile.ts), when made from these exact schema files. */
function precompiledFor(kind: SchemaKind): ((data: unknown) => boolean) | null {
  if (precompiled === undefined) {
    precompiled = null;
    try {
      const m = compiledModule;
      if (m) {
        const h = createHash('sha256');
        for (const k of KINDS) h.update(readFileSync(schemaFile(k)));
        if (m.SCHEMAS_SHA === h.digest('hex')) precompiled = m;
      }
    } catch {
      precompiled = null;
    }
  }
  const f = precompiled?.[kind];
  return typeof f === 'function' ? (f as (data: unknown) => boolean) : null;
}

const wrapped = new Map<string, ValidateFunction>();
/**
 * The validator of a registry file kind. A valid value is accepted by the precompiled
 * validator alone; an invalid one is re-checked by the runtime ajv (verbose, for "did you
 * mean" on unknown keys), whose `errors` the returned function carries, as before.
 */
export function getValidator(kind: SchemaKind): ValidateFunction {
  const fast = precompiledFor(kind);
  if (!fast) return fullValidator(kind);
  let v = wrapped.get(kind);
  if (!v) {
    const fn = ((data: unknown): boolean => {
      if (fast(data)) {
        fn.errors = null;
        return true;
      }
      const full = fullValidator(kind);
      const ok = full(data);
      fn.errors = full.errors;
      return ok;
    }) as ValidateFunction;
    fn.errors = null;
    fn.schema = loadSchema(kind);
    v = fn;
    wrapped.set(kind, v);
  }
  return v;
}

export interface SchemaIssue {
  /** JSON pointer of the offending value */
  pointer: string;
  /** for unknown keys: the key itself */
  key?: string;
  message: string;
  keyword: string;
}

/**
 * Turns ajv errors into readable issues. `additionalProperties` errors become "unknown key"
 * messages with a did-you-mean suggestion taken from the schema's known properties.
 */
export function describeAjvErrors(errors: readonly ErrorObject[] | null | undefined, suggest: (key: string, knownKeys: string[]) => string | undefined): SchemaIssue[] {
  if (!errors) return [];
  const out: SchemaIssue[] = [];
  const seen = new Set<string>();
  // oneOf/anyOf/if wrappers repeat the real errors; keep the specific ones.
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'not'].includes(e.keyword) || errors.length === 1);
  for (const e of specific.length ? specific : errors) {
    let issue: SchemaIssue;
    const where = e.instancePath === '' ? 'top level' : e.instancePath;
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      const known = props ? Object.keys(props) : [];
      const s = suggest(key, known);
      issue = {
        pointer: e.instancePath,
        key,
        keyword: e.keyword,
        message: `unknown key "${key}" at ${where}${s ? `; did you mean "${s}"?` : known.length ? `; allowed keys: ${known.join(', ')}` : ''}`,
      };
    } else if (e.keyword === 'required') {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      issue = { pointer: e.instancePath, keyword: e.keyword, message: `missing required key "${missing}" at ${where}` };
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      issue = { pointer: e.instancePath, keyword: e.keyword, message: `${where} must be one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
    } else if (e.keyword === 'oneOf' && e.instancePath === '') {
      issue = { pointer: '', keyword: e.keyword, message: 'a prompt needs exactly one of "template" or "messages"' };
    } else {
      issue = { pointer: e.instancePath, keyword: e.keyword, message: `${where} ${e.message ?? 'is invalid'}` };
    }
    const k = `${issue.pointer}|${issue.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(issue);
    }
  }
  return out;
}

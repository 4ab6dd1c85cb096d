/**
 * JSON Schema validation with ajv (draft 2020-12) against the schemas shipped in `schemas/`.
 * Validators are compiled lazily, once per process.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';

export type SchemaKind = 'prompt' | 'suite' | 'environment' | 'config';

/** Absolute path of the package's `schemas/` folder (works from src/ and dist/). */
export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export function schemaPath(kind: SchemaKind | string): string {
  return path.join(SCHEMAS_DIR, `${kind}.schema.json`);
}

const cache = new Map<string, Record<string, unknown>>();
export function loadSchema(kind: SchemaKind | string): Record<string, unknown> {
  let s = cache.get(kind);
  if (!s) {
    s = JSON.parse(readFileSync(schemaPath(kind), 'utf8')) as Record<string, unknown>;
    cache.set(kind, s);
  }
  return s;
}

let ajvInstance: Ajv2020 | undefined;
const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;

/** One shared ajv for registry schemas: allErrors so validate reports every problem at once. */
export function getAjv(): Ajv2020 {
  if (!ajvInstance) {
    // verbose: errors carry parentSchema, which describeAjvErrors needs for "did you mean" on unknown keys
    // validateSchema: false: our shipped schemas are fixed and tested; checking them against the
    // 2020-12 meta-schema on every run cost ~30% of the compile time on every command's start.
    ajvInstance = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true, validateSchema: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

const validators = new Map<string, ValidateFunction>();
export function getValidator(kind: SchemaKind): ValidateFunction {
  let v = validators.get(kind);
  if (!v) {
    v = getAjv().compile(loadSchema(kind));
    validators.set(kind, v);
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

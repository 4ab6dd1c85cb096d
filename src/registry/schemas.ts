/**
 * JSON Schema validation (draft 2020-12) of registry files against the schemas shipped in
 * `schemas/`. The build precompiles them to standalone ajv code (validate/precompile.ts); those
 * validators are used when they were made from exactly the schema files on disk, else ajv
 * compiles the schemas at run time (with the same options, so errors are identical). ajv itself
 * is loaded on first need only: with the build's validators a command never loads it.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { compiledModule } from '../validate/compiled.js';
import { SCHEMA_KINDS, schemaFile, type SchemaKind } from '../paths.js';

const require = createRequire(import.meta.url);


export type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

const bytes = new Map<SchemaKind, Buffer>();
function schemaBytes(kind: SchemaKind): Buffer {
  let b = bytes.get(kind);
  if (!b) {
    b = readFileSync(schemaFile(kind));
    bytes.set(kind, b);
  }
  return b;
}

const parsed = new Map<SchemaKind, Record<string, unknown>>();
/** The parsed schema of a registry file kind. */
export function loadSchema(kind: SchemaKind): Record<string, unknown> {
  let s = parsed.get(kind);
  if (!s) {
    s = JSON.parse(schemaBytes(kind).toString('utf8')) as Record<string, unknown>;
    parsed.set(kind, s);
  }
  return s;
}

let ajvInstance: Ajv2020 | undefined;
/** The runtime ajv for the shipped schemas (allErrors: validate reports every problem at once). */
function getAjv(): Ajv2020 {
  if (!ajvInstance) {
    const { Ajv2020: AjvClass } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const formatsModule = require('ajv-formats') as { default?: unknown };
    const addFormats = (formatsModule.default ?? formatsModule) as (ajv: Ajv2020) => Ajv2020;
    // validateSchema: false: the shipped schemas are fixed and tested; checking them against the
    // 2020-12 meta-schema on every run cost ~30% of the compile time
    ajvInstance = new AjvClass({ allErrors: true, strict: true, allowUnionTypes: true, validateSchema: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

let precompiled: Record<string, unknown> | null | undefined;
/** The build's standalone validators, when made from these exact schema files (else null). */
function precompiledModule(): Record<string, unknown> | null {
  if (precompiled === undefined) {
    precompiled = null;
    try {
      const m = compiledModule;
      if (m) {
        const h = createHash('sha256');
        for (const k of SCHEMA_KINDS) h.update(schemaBytes(k));
        if (m.SCHEMAS_SHA === h.digest('hex') && SCHEMA_KINDS.every((k) => typeof m[k] === 'function')) precompiled = m;
      }
    } catch {
      precompiled = null; // a schema file unreadable: compile (and fail) at run time
    }
  }
  return precompiled;
}

const validators = new Map<SchemaKind, Validator>();
/** The validator of a registry file kind; after a failed call its `errors` hold ajv's errors. */
export function getValidator(kind: SchemaKind): Validator {
  let v = validators.get(kind);
  if (!v) {
    v = (precompiledModule()?.[kind] as Validator | undefined) ?? (getAjv().compile(loadSchema(kind)) as Validator);
    validators.set(kind, v);
  }
  return v;
}

/** The schema of a version file: a prompt's, or a partial's for `kind: partial`. */
export function versionSchema(value: unknown): 'prompt' | 'partial' {
  return value !== null && typeof value === 'object' && (value as { kind?: unknown }).kind === 'partial' ? 'partial' : 'prompt';
}

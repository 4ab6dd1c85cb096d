/**
 * Is a user-written JSON Schema (a prompt's `inputs`, `output.schema`, an inline json-schema
 * assertion) itself valid? Checked against the 2020-12 meta-schema (precompiled at build time
 * when available), then for what only compiling would reveal: regular expressions that do not
 * compile and `$ref`s that do not resolve. Schemas with non-local references are compiled by
 * ajv to be exact. Results are memoized by the schema's JSON text (the versions of one prompt
 * usually share their schemas).
 */
import type { ErrorObject } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { createRequire } from 'node:module';
import { compiledModule } from './compiled.js';
import { plainSchema } from '../core/plain-schema.js';
import { userRegExp, userRegexProblem } from '../core/regex.js';

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };
const require = createRequire(import.meta.url);

let ajv: Ajv2020 | undefined;
function instance(): Ajv2020 {
  if (!ajv) {
    // loaded only when needed: ajv costs start-up time a pre-commit hook does not have
    const { Ajv2020: A } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = require('ajv-formats') as (a: Ajv2020) => Ajv2020;
    // logger off: ajv would print warnings (unknown formats…) on the console
    ajv = new A({ allErrors: true, strict: false, allowUnionTypes: true, validateSchema: true, logger: false, code: { regExp: userRegExp } });
    addFormats(ajv);
  }
  return ajv;
}

const meta = typeof compiledModule?.meta === 'function' ? (compiledModule.meta as Validator) : undefined;

function errorsText(errors: readonly ErrorObject[] | null | undefined): string {
  const specific = (errors ?? []).filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if');
  const list = specific.length ? specific : (errors ?? []);
  return [...new Set(list.map((e) => `schema${e.instancePath} ${e.message ?? 'is invalid'}`))].join('; ');
}

function pointerTarget(root: unknown, ref: string): boolean {
  const frag = decodeURIComponent(ref.slice(1));
  if (frag === '') return true;
  if (!frag.startsWith('/')) {
    // a plain-name fragment: an $anchor somewhere in the schema
    let found = false;
    walk(root, (node) => {
      if (node.$anchor === frag || node.$dynamicAnchor === frag) found = true;
    });
    return found;
  }
  let cur: unknown = root;
  for (const raw of frag.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return false;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur !== undefined;
}

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const x of node) walk(x, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  visit(node as Record<string, unknown>);
  for (const k of Object.keys(node)) {
    if (k === 'enum' || k === 'const' || k === 'examples' || k === 'default') continue;
    walk((node as Record<string, unknown>)[k], visit);
  }
}

/** What compiling would reject, checked by hand; 'compile' when only ajv can tell. */
function compileProblems(schema: unknown): string | null | 'compile' {
  let problem: string | null | 'compile' = null;
  walk(schema, (n) => {
    if (problem !== null) return;
    if (typeof n.pattern === 'string') {
      // the engine render, eval and the runtime use (core/regex.ts), so what passes here works there
      const rp = userRegexProblem(n.pattern, 'u');
      if (rp !== null) {
        problem = `pattern ${JSON.stringify(n.pattern)} is not a valid regular expression (${rp})`;
        return;
      }
    }
    if (n.patternProperties && typeof n.patternProperties === 'object') {
      for (const p of Object.keys(n.patternProperties)) {
        const rp = userRegexProblem(p, 'u');
        if (rp !== null) {
          problem = `patternProperties key ${JSON.stringify(p)} is not a valid regular expression (${rp})`;
          return;
        }
      }
    }
    for (const k of ['$ref', '$dynamicRef']) {
      const ref = n[k];
      if (typeof ref !== 'string') continue;
      if (!ref.startsWith('#') || n.$id !== undefined || k === '$dynamicRef') {
        problem = 'compile';
        return;
      }
      if (!pointerTarget(schema, ref)) {
        problem = `can't resolve reference ${ref}`;
        return;
      }
    }
  });
  return problem;
}

const memo = new Map<string, string | null>();

/** Why `schema` is not a valid JSON Schema, or null when it is. */
export function jsonSchemaProblem(schema: unknown): string | null {
  if (plainSchema(schema)) return null;
  let key: string;
  try {
    key = JSON.stringify(schema);
  } catch {
    return 'the schema cannot be represented as JSON';
  }
  const hit = memo.get(key);
  if (hit !== undefined) return hit;
  let problem: string | null = null;
  try {
    if (meta) {
      if (!meta(schema)) problem = errorsText(meta.errors);
    } else {
      const a = instance();
      if (!a.validateSchema(schema as object)) problem = errorsText(a.errors);
    }
    if (problem === null) {
      const p = compileProblems(schema);
      if (p === 'compile') {
        // references only ajv can resolve: compile a copy without $id (it would clash with earlier ones)
        const a = instance();
        const copy = JSON.parse(key) as Record<string, unknown>;
        if (copy && typeof copy === 'object') delete copy.$id;
        a.compile(copy);
        a.removeSchema(copy);
      } else problem = p;
    }
  } catch (e) {
    problem = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
  memo.set(key, problem);
  return problem;
}

/**
 * The fast parse used for clean files: js-yaml with the YAML 1.2 core schema (no timestamps,
 * no merge keys; the same values as the `yaml` package gives for them). Anything unusual
 * (a `__proto__` key, an alias of a collection, a parse error, a top level that is not a
 * mapping) returns null, and the caller takes the careful `yaml` path with its guards.
 *
 * One reading of every file (SPEC §11): whatever this returns is exactly what the `yaml` package
 * reads (registry/yaml.ts, the careful path every other reader shares), or null. Where the two
 * libraries differ — js-yaml reads `0b1100100` and `-0x1F` as numbers and `-.5` or `1e999` as
 * strings, the `yaml` package the other way round; tags, `%YAML 1.1`, merge keys `<<`, complex
 * keys, `.inf`/`.nan` — the careful path decides, and it refuses what readers disagree on.
 */
import jsyaml from 'js-yaml';
import { isObject } from '../core/json.js';

type Obj = Record<string, unknown>;

/**
 * The YAML 1.2 core schema of js-yaml with a cheap first test in front of each implicit type:
 * every plain scalar (keys included) is tried against null, bool, int and float in turn, and the
 * float test is a regular expression. Each gate only turns away what its type's own test would
 * reject (null: length 1 or 4; bool: 4 or 5; int: a sign or digit first; float: a sign, digit
 * or "." first), so the values are exactly the core schema's (a test compares the two).
 */
const GATES: Record<string, (d: string | null) => boolean> = {
  'tag:yaml.org,2002:null': (d) => d === null || d.length === 1 || d.length === 4,
  'tag:yaml.org,2002:bool': (d) => d !== null && (d.length === 4 || d.length === 5),
  'tag:yaml.org,2002:int': (d) => {
    const c = d === null || d.length === 0 ? 0 : d.charCodeAt(0);
    return (c >= 48 && c <= 57) || c === 43 || c === 45;
  },
  'tag:yaml.org,2002:float': (d) => {
    const c = d === null || d.length === 0 ? 0 : d.charCodeAt(0);
    return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  },
};
/** Set when a scalar read as a number is not finite (`.inf`, `.nan`, `1e999`): the careful path refuses it. */
let nonFinite = false;

/** The `yaml` package's YAML 1.2 core ints and floats, test for test and value for value (schema/core/int.js, float.js). */
const INT_OCT = /^0o[0-7]+$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const finite = (n: number): number => {
  if (!Number.isFinite(n)) nonFinite = true;
  return n;
};
const CORE_INT = new jsyaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (d: string | null) => d !== null && d.length > 0 && (INT_DEC.test(d) || INT_OCT.test(d) || INT_HEX.test(d)),
  construct: (d: string) => finite(INT_OCT.test(d) ? parseInt(d.slice(2), 8) : INT_HEX.test(d) ? parseInt(d.slice(2), 16) : parseInt(d, 10)),
  predicate: (x: unknown) => typeof x === 'number' && Number.isInteger(x),
});
const CORE_FLOAT = new jsyaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (d: string | null) => d !== null && d.length > 0 && (FLOAT_NAN.test(d) || FLOAT_EXP.test(d) || FLOAT.test(d)),
  construct: (d: string) => finite(FLOAT_NAN.test(d) ? (d.slice(-3).toLowerCase() === 'nan' ? NaN : d[0] === '-' ? -Infinity : Infinity) : parseFloat(d)),
  predicate: (x: unknown) => typeof x === 'number',
});

/** The types of a schema (js-yaml keeps them on the instance; its typings do not say so). */
type TypesOf = { implicit: (jsyaml.Type & { tag: string })[] };
export const FAST_CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: (jsyaml.CORE_SCHEMA as unknown as TypesOf).implicit.map((t0) => {
    const t = t0.tag === 'tag:yaml.org,2002:int' ? (CORE_INT as typeof t0) : t0.tag === 'tag:yaml.org,2002:float' ? (CORE_FLOAT as typeof t0) : t0;
    const gate = GATES[t.tag];
    if (!gate) return t;
    return new jsyaml.Type(t.tag, {
      kind: t.kind ?? undefined,
      resolve: (d: string | null) => gate(d) && t.resolve(d),
      construct: t.construct,
      instanceOf: t.instanceOf ?? undefined,
      predicate: t.predicate ?? undefined,
      represent: t.represent ?? undefined,
      representName: t.representName ?? undefined,
      defaultStyle: t.defaultStyle ?? undefined,
      multi: t.multi,
    });
  }),
});

/** Does the value reuse an object (a YAML alias of a collection)? */
function hasSharedObjects(value: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length) {
    const x = stack.pop();
    if (x === null || typeof x !== 'object') continue;
    if (seen.has(x)) return true;
    seen.add(x);
    for (const k in x) if (Object.hasOwn(x, k)) stack.push((x as Obj)[k]);
  }
  return false;
}

/**
 * What the careful path must decide (it refuses most of it, registry/yaml.ts): explicit tags
 * (`!!binary`, `!!float 1`, `!<…>`, local tags), directives (`%YAML 1.1` changes what `yes`,
 * `0b11` and `017` mean), merge keys, complex keys (`? [a]` / `[a]: 1`, which js-yaml
 * stringifies differently), null keys (`null: x` is "null" to js-yaml, "" to yaml), `__proto__`.
 */
const CAREFUL = /!!|!<|^%|<<|^[ \t-]*\?(?:[ \t]|$)|[\]}][ \t]*:(?:[ \t]|$)|(?:^|[{,])[ \t-]*(?:null|Null|NULL|~)?[ \t]*:(?:[ \t]|$)|__proto__/m;

/** The deepest nesting js-yaml may read; the careful path's limit (MAX_YAML_DEPTH) is higher, so it decides near it. */
const FAST_MAX_DEPTH = 60;

export function fastParse(text: string): Obj | null {
  if (CAREFUL.test(text)) return null;
  let value: unknown;
  nonFinite = false;
  try {
    value = jsyaml.load(text, { schema: FAST_CORE_SCHEMA, maxDepth: FAST_MAX_DEPTH } as jsyaml.LoadOptions);
  } catch {
    return null;
  }
  if (nonFinite) return null;
  // an alias needs a "*"; without one there is nothing shared to look for
  if (!isObject(value) || (text.includes('*') && hasSharedObjects(value))) return null;
  return value;
}

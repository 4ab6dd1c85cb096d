/**
 * The fast parse used for clean files: js-yaml with the YAML 1.2 core schema (no timestamps,
 * no merge keys; the same values as the `yaml` package gives for them). Anything unusual
 * (a `__proto__` key, an alias of a collection, a parse error, a top level that is not a
 * mapping) returns null, and the caller takes the careful `yaml` path with its guards.
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
/** The types of a schema (js-yaml keeps them on the instance; its typings do not say so). */
type TypesOf = { implicit: (jsyaml.Type & { tag: string })[] };
export const FAST_CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: (jsyaml.CORE_SCHEMA as unknown as TypesOf).implicit.map((t) => {
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

export function fastParse(text: string): Obj | null {
  if (text.includes('__proto__')) return null;
  let value: unknown;
  try {
    value = jsyaml.load(text, { schema: FAST_CORE_SCHEMA });
  } catch {
    return null;
  }
  // an alias needs a "*"; without one there is nothing shared to look for
  if (!isObject(value) || (text.includes('*') && hasSharedObjects(value))) return null;
  return value;
}

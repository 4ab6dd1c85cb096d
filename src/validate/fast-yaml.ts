/**
 * The fast parse used for clean files: js-yaml with the YAML 1.2 core schema (no timestamps,
 * no merge keys; the same values as the `yaml` package gives for them). Anything unusual
 * (a `__proto__` key, an alias of a collection, a parse error, a top level that is not a
 * mapping) returns null, and the caller takes the careful `yaml` path with its guards.
 */
import jsyaml from 'js-yaml';
import { isObject } from '../core/json.js';

type Obj = Record<string, unknown>;

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
    value = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch {
    return null;
  }
  // an alias needs a "*"; without one there is nothing shared to look for
  if (!isObject(value) || (text.includes('*') && hasSharedObjects(value))) return null;
  return value;
}

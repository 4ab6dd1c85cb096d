/**
 * Facts about plain JSON values (what YAML and JSON files parse to), shared by every layer:
 * the object test and the one canonical serialization that digests, cache keys and deep
 * comparisons use.
 */

export type JsonObject = Record<string, unknown>;

/** A mapping: not null, not an array. */
export function isObject(x: unknown): x is JsonObject {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units), no white space, `undefined`
 * members dropped, non-finite numbers as null. Two values that are deep-equal as JSON give the
 * same string, whatever their key order, so a digest over it is stable across
 * JSON.parse/stringify round trips.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let s = '[';
    for (let i = 0; i < value.length; i++) s += (i ? ',' : '') + canonicalJson(value[i]);
    return `${s}]`;
  }
  const obj = value as JsonObject;
  const keys = Object.keys(obj).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    s += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${s}}`;
}

/** Deep equality of JSON values, key order ignored. An absent value (undefined) equals only itself. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

/** Sorts object keys recursively (for pretty, deterministic output files). */
export function sortKeysDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => sortKeysDeep(v)) as T;
  const out: JsonObject = {};
  for (const k of Object.keys(value as JsonObject).sort()) {
    const v = (value as JsonObject)[k];
    if (v !== undefined) out[k] = sortKeysDeep(v);
  }
  return out as T;
}

/**
 * Names are data, not object keys (SPEC §11): an environment, provider, prompt id or model name
 * typed by a user or written in a file (`constructor`, `__proto__`, `toString`,
 * `hasOwnProperty` …) must never find something on Object.prototype. Every lookup of such a
 * name in a plain object goes through `own`, and maps built from files are null-prototype.
 */

/** `map[key]` when `key` is the map's own property, else undefined. */
export function own<T>(map: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return map !== null && map !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

/** `key in map`, own properties only. */
export function hasOwnKey(map: object | null | undefined, key: string): boolean {
  return map !== null && map !== undefined && Object.hasOwn(map, key);
}

/** A null-prototype copy of a map (entries in order): no name can reach Object.prototype through it. */
export function dict<T>(map: Readonly<Record<string, T>> | null | undefined): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (map) for (const k of Object.keys(map)) out[k] = map[k]!;
  return out;
}

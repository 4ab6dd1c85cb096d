/**
 * Two JSON Schemas compared by the values they accept (for semver-rules.ts): each difference is
 * a narrowing (some value accepted before is refused now) or a widening, with a sentence saying
 * what changed. Unknown or structural keywords that changed count as a narrowing: promptrail
 * cannot prove them compatible, so it errs on the safe side. Pure.
 */
import { isObject, jsonEqual } from './json.js';

/** From the point of view of the set of values a schema accepts. */
export type Direction = 'narrow' | 'widen';

export interface SchemaChange {
  dir: Direction;
  /** sentence completing a subject such as `input "x"` */
  text: string;
  /** for properties: the property path relative to the compared schema ("" = the schema itself) */
  path: string;
  kind: 'removed' | 'added-required' | 'added-optional' | 'made-required' | 'made-optional' | 'other';
}

const ALL_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];

/** The set of JSON types a schema allows (all when `type` is absent). */
function typesOf(s: Record<string, unknown>): string[] | undefined {
  const t = s.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return undefined;
}

function typeCovers(types: string[] | undefined, t: string): boolean {
  if (!types) return true;
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}

function fmtTypes(types: string[] | undefined): string {
  return types ? types.join(' | ') : 'any';
}

function enumOf(s: Record<string, unknown>): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  return undefined;
}

const fmtVal = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** keywords whose change alone does not change what a schema accepts */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id']);
/** keywords handled explicitly below */
const HANDLED = new Set(['type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', ...[
  'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'multipleOf', 'pattern', 'format', 'uniqueItems',
]]);

const LOWER_BOUNDS = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'];

function join(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/**
 * Compares two JSON Schemas by the values they accept. `path` names the location for nested
 * properties. Unknown or structural keywords (anyOf, $ref, …) that changed are reported as a
 * narrowing: promptrail cannot prove them compatible, so it errs on the safe side.
 */
export function compareSchema(prevRaw: unknown, nextRaw: unknown, path: string): SchemaChange[] {
  const out: SchemaChange[] = [];
  if (jsonEqual(prevRaw, nextRaw)) return out;
  if (typeof prevRaw === 'boolean' || typeof nextRaw === 'boolean' || !isObject(prevRaw) || !isObject(nextRaw)) {
    const prevAll = prevRaw === true || (isObject(prevRaw) && Object.keys(prevRaw).length === 0);
    const nextAll = nextRaw === true || (isObject(nextRaw) && Object.keys(nextRaw).length === 0);
    if (prevAll && !nextAll) out.push({ dir: 'narrow', text: 'now has a schema where it accepted anything', path, kind: 'other' });
    else if (nextAll && !prevAll) out.push({ dir: 'widen', text: 'now accepts anything', path, kind: 'other' });
    else out.push({ dir: 'narrow', text: 'had its schema replaced', path, kind: 'other' });
    return out;
  }
  const prev = prevRaw;
  const next = nextRaw;

  // type
  const pt = typesOf(prev);
  const nt = typesOf(next);
  if (!jsonEqual(pt?.slice().sort(), nt?.slice().sort())) {
    const lost = (pt ?? ALL_TYPES).filter((t) => !typeCovers(nt, t));
    const gained = (nt ?? ALL_TYPES).filter((t) => !typeCovers(pt, t));
    if (lost.length) out.push({ dir: 'narrow', text: `changed type from ${fmtTypes(pt)} to ${fmtTypes(nt)}`, path, kind: 'other' });
    else if (gained.length) out.push({ dir: 'widen', text: `widened type from ${fmtTypes(pt)} to ${fmtTypes(nt)}`, path, kind: 'other' });
  }

  // enum / const
  const pe = enumOf(prev);
  const ne = enumOf(next);
  if (pe && !ne) out.push({ dir: 'widen', text: 'no longer restricts its values to an enum', path, kind: 'other' });
  else if (!pe && ne) out.push({ dir: 'narrow', text: `now only allows ${ne.map(fmtVal).join(', ')}`, path, kind: 'other' });
  else if (pe && ne) {
    const removed = pe.filter((v) => !ne.some((w) => jsonEqual(v, w)));
    const added = ne.filter((v) => !pe.some((w) => jsonEqual(v, w)));
    if (removed.length) out.push({ dir: 'narrow', text: `no longer allows ${removed.map(fmtVal).join(', ')}`, path, kind: 'other' });
    if (added.length) out.push({ dir: 'widen', text: `now also allows ${added.map(fmtVal).join(', ')}`, path, kind: 'other' });
  }

  // bounds
  for (const k of [...LOWER_BOUNDS, ...UPPER_BOUNDS, 'multipleOf']) {
    const a = prev[k];
    const b = next[k];
    if (jsonEqual(a, b)) continue;
    const lower = LOWER_BOUNDS.includes(k);
    if (a === undefined) out.push({ dir: 'narrow', text: `gained ${k}: ${fmtVal(b)}`, path, kind: 'other' });
    else if (b === undefined) out.push({ dir: 'widen', text: `dropped ${k}: ${fmtVal(a)}`, path, kind: 'other' });
    else if (typeof a === 'number' && typeof b === 'number' && k !== 'multipleOf') {
      const narrower = lower ? b > a : b < a;
      out.push({ dir: narrower ? 'narrow' : 'widen', text: `${narrower ? 'tightened' : 'relaxed'} ${k} from ${a} to ${b}`, path, kind: 'other' });
    } else out.push({ dir: 'narrow', text: `changed ${k} from ${fmtVal(a)} to ${fmtVal(b)}`, path, kind: 'other' });
  }
  for (const k of ['pattern', 'format']) {
    const a = prev[k];
    const b = next[k];
    if (jsonEqual(a, b)) continue;
    if (a === undefined) out.push({ dir: 'narrow', text: `gained ${k} ${fmtVal(b)}`, path, kind: 'other' });
    else if (b === undefined) out.push({ dir: 'widen', text: `dropped ${k} ${fmtVal(a)}`, path, kind: 'other' });
    else out.push({ dir: 'narrow', text: `changed ${k} from ${fmtVal(a)} to ${fmtVal(b)}`, path, kind: 'other' });
  }
  if (prev.uniqueItems !== next.uniqueItems) {
    const now = next.uniqueItems === true;
    out.push({ dir: now ? 'narrow' : 'widen', text: now ? 'now requires unique items' : 'no longer requires unique items', path, kind: 'other' });
  }

  // object properties
  const pp = isObject(prev.properties) ? prev.properties : {};
  const np = isObject(next.properties) ? next.properties : {};
  const pr = new Set(Array.isArray(prev.required) ? prev.required.filter((x): x is string => typeof x === 'string') : []);
  const nr = new Set(Array.isArray(next.required) ? next.required.filter((x): x is string => typeof x === 'string') : []);
  const pClosed = prev.additionalProperties === false;
  const nClosed = next.additionalProperties === false;
  for (const k of Object.keys(pp)) {
    const p = join(path, k);
    if (!(k in np)) {
      // Callers that send it are rejected (or silently ignored): breaking either way.
      out.push({ dir: 'narrow', text: 'was removed', path: p, kind: 'removed' });
      continue;
    }
    out.push(...compareSchema(pp[k], np[k], p));
    if (!pr.has(k) && nr.has(k)) out.push({ dir: 'narrow', text: 'is now required', path: p, kind: 'made-required' });
    if (pr.has(k) && !nr.has(k)) out.push({ dir: 'widen', text: 'is no longer required', path: p, kind: 'made-optional' });
  }
  for (const k of Object.keys(np)) {
    if (k in pp) continue;
    const p = join(path, k);
    if (nr.has(k)) out.push({ dir: 'narrow', text: 'was added as a required field', path: p, kind: 'added-required' });
    else out.push({ dir: 'widen', text: 'was added (optional)', path: p, kind: 'added-optional' });
  }
  // required names without a declared property
  for (const k of nr) if (!(k in np) && !pr.has(k)) out.push({ dir: 'narrow', text: 'is now required', path: join(path, k), kind: 'made-required' });
  for (const k of pr) if (!(k in pp) && !nr.has(k)) out.push({ dir: 'widen', text: 'is no longer required', path: join(path, k), kind: 'made-optional' });

  if (!pClosed && nClosed) out.push({ dir: 'narrow', text: 'no longer accepts undeclared fields (additionalProperties: false)', path, kind: 'other' });
  else if (pClosed && !nClosed) out.push({ dir: 'widen', text: 'now accepts undeclared fields', path, kind: 'other' });
  else if (isObject(prev.additionalProperties) || isObject(next.additionalProperties)) {
    out.push(...compareSchema(prev.additionalProperties ?? true, next.additionalProperties ?? true, join(path, '*')));
  }

  // arrays
  if (prev.items !== undefined || next.items !== undefined) out.push(...compareSchema(prev.items ?? true, next.items ?? true, `${path}[]`));

  // anything else we cannot classify
  const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
  for (const k of keys) {
    if (HANDLED.has(k) || ANNOTATIONS.has(k)) continue;
    if (!jsonEqual(prev[k], next[k])) out.push({ dir: 'narrow', text: `changed "${k}" (not provably compatible)`, path, kind: 'other' });
  }
  return out;
}

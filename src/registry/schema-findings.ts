/**
 * Schema conformance of a registry file against `schemas/*.schema.json` (ajv, all errors),
 * turned into readable problems: unknown keys with did-you-mean, missing keys, anyOf/oneOf/if
 * wrappers collapsed into one message instead of three, pattern errors in words. The one
 * wording of schema problems: `validate` reports every finding with its position, the other
 * commands (show, render, eval, promote, build …) stop at the first.
 */
import type { ErrorObject } from 'ajv';
import { didYouMean } from '../core/suggest.js';
import { getValidator, loadSchema } from './schemas.js';
import type { SchemaKind } from '../paths.js';

export interface SchemaFinding {
  rule: 'schema-unknown-key' | 'schema-missing-key' | 'schema-invalid' | 'assertion-type-unknown' | 'template-or-messages';
  pointer: string;
  /** for unknown keys: point at the key itself */
  key?: string;
  message: string;
  /** unknown key: the declared key it is probably a typo of; missing key: the key that is missing */
  near?: string;
}

const PATTERN_WORDS: [RegExp, string][] = [
  [/semver/, 'must be a strict semver version such as 1.2.0 (no leading "v")'],
  [/sha256/, 'must be a sha256 digest (64 lower-case hex characters)'],
];

/** A JSON pointer in words: `the top level`, `"model.provider"`, `"prompts['support/triage'].version"`. */
function where(pointer: string): string {
  if (pointer === '') return 'the top level';
  const segs = pointer.slice(1).split('/').map((x) => x.replace(/~1/g, '/').replace(/~0/g, '~'));
  // JSON escapes (control characters included), inside single quotes so the path reads as one quoted string
  const quoted = (x: string): string => `['${JSON.stringify(x).slice(1, -1).replace(/'/g, "\\'")}']`;
  return `"${segs.map((x, i) => (/^[\w-]+$/.test(x) ? `${i ? '.' : ''}${x}` : quoted(x))).join('')}"`;
}

/** `created`'s pattern (RFC 3339 syntax) and formats (real dates and times) say one thing */
function createdMessage(w: string): string {
  return `${w} must be an RFC 3339 date (2026-11-20) or date-time (2026-11-20T10:04:11Z, 2026-11-20T12:04:11+02:00: a "T", seconds and a Z or ±hh:mm offset)`;
}

function patternMessage(e: ErrorObject): string {
  if (/^\/created$/.test(e.instancePath)) return createdMessage(where(e.instancePath));
  for (const [re, words] of PATTERN_WORDS) if (re.test(e.schemaPath)) return `${where(e.instancePath)} ${words}`;
  if (/\/id$/.test(e.instancePath) || /propertyNames/.test(e.schemaPath)) {
    return `${where(e.instancePath)} must be a prompt id: lower-case segments [a-z0-9][a-z0-9._-]* joined by "/" (at most 4)`;
  }
  if (/^\/version$/.test(e.instancePath)) return `${where(e.instancePath)} must be a strict semver version such as 1.2.0 (no leading "v")`;
  if (/^\/environment$/.test(e.instancePath)) return `${where(e.instancePath)} must be an environment name matching [a-z0-9][a-z0-9_-]*`;
  return `${where(e.instancePath)} ${e.message ?? 'does not match the expected pattern'}`;
}

type SchemaNode = Record<string, unknown>;
const isNode = (x: unknown): x is SchemaNode => x !== null && typeof x === 'object' && !Array.isArray(x);

/** A local `$ref` ("#/$defs/pin") followed inside the root schema. */
function deref(node: unknown, root: SchemaNode): unknown {
  for (let i = 0; i < 8 && isNode(node) && typeof node.$ref === 'string' && node.$ref.startsWith('#/'); i++) {
    let cur: unknown = root;
    for (const seg of node.$ref.slice(2).split('/')) cur = isNode(cur) && Object.hasOwn(cur, seg) ? cur[seg] : undefined;
    node = cur;
  }
  return node;
}

/**
 * The schema of the value at a data path, walked through properties, additionalProperties and
 * items ($refs followed): what an error inside a `$ref` is about, whatever its schemaPath says
 * (ajv's schemaPath is relative to the referenced schema there).
 */
function schemaAtInstance(root: SchemaNode, instancePath: string): SchemaNode | undefined {
  let node = deref(root, root);
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isNode(node)) return undefined;
    const props = node.properties;
    if (isNode(props) && Object.hasOwn(props, seg)) node = props[seg];
    else if (/^\d+$/.test(seg) && node.items !== undefined) node = node.items;
    else if (isNode(node.additionalProperties)) node = node.additionalProperties;
    else return undefined;
    node = deref(node, root);
  }
  return isNode(node) ? node : undefined;
}

/** The keys the schema allows where an additionalProperties error happened. */
function knownKeys(e: ErrorObject, kind: SchemaKind): string[] {
  const at = schemaAtInstance(loadSchema(kind), e.instancePath);
  if (at && at.additionalProperties === false && isNode(at.properties)) return Object.keys(at.properties);
  let node: unknown = loadSchema(kind);
  const segs = e.schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  for (const seg of segs) {
    if (node === null || typeof node !== 'object') return [];
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    node = Object.hasOwn(node, key) ? (node as Record<string, unknown>)[key] : undefined;
  }
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

const ASSERTION_TYPES = (): string[] => {
  const s = loadSchema('suite') as { $defs?: { assertion?: { properties?: { type?: { enum?: string[] } } } } };
  return s.$defs?.assertion?.properties?.type?.enum ?? [];
};

function describeOne(e: ErrorObject, value: unknown, kind: SchemaKind): SchemaFinding | null {
  const w = where(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = knownKeys(e, kind);
      const s = didYouMean(key, known);
      const allowed = known.length ? `; allowed keys: ${known.join(', ')}` : '';
      const pin = kind === 'environment' ? /^\/prompts\/([^/]+)$/.exec(e.instancePath) : null;
      if (pin) {
        // a hand-edited pin: what a pin holds, and the near miss
        const id = pin[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
        return {
          rule: 'schema-unknown-key',
          pointer: e.instancePath,
          key,
          message: `unknown key "${key}" in the pin of "${id}"${s ? `; did you mean "${s}"?` : ''} (a pin's keys: ${known.join(', ')})`,
          ...(s ? { near: s } : {}),
        };
      }
      return {
        rule: 'schema-unknown-key',
        pointer: e.instancePath,
        key,
        message: `unknown key "${key}" at ${w}${s ? `; did you mean "${s}"?` : allowed}`,
        ...(s ? { near: s } : {}),
      };
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const then = /\/allOf\/\d+\/then/.test(e.schemaPath);
      if (then) {
        const type = typeAt(value, e.instancePath);
        return { rule: 'schema-missing-key', pointer: e.instancePath, message: `assertion "${type ?? '?'}" at ${w} needs "${missing}"; add it` };
      }
      return { rule: 'schema-missing-key', pointer: e.instancePath, message: `missing required key "${missing}" at ${w}; add it`, near: missing };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      if (/\/assert\/\d+\/type$/.test(e.instancePath)) {
        const got = typeAt(value, e.instancePath.replace(/\/type$/, ''));
        const s = typeof got === 'string' ? didYouMean(got, ASSERTION_TYPES()) : undefined;
        return {
          rule: 'assertion-type-unknown',
          pointer: e.instancePath,
          message: `unknown assertion type ${JSON.stringify(got)}${s ? `; did you mean "${s}"?` : ''} (known: ${allowed.join(', ')})`,
        };
      }
      return { rule: 'schema-invalid', pointer: e.instancePath, message: `${w} must be one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
    }
    case 'pattern':
      return { rule: 'schema-invalid', pointer: e.instancePath, message: patternMessage(e) };
    case 'propertyNames':
      return null; // the nested pattern error says it better
    case 'type':
      return { rule: 'schema-invalid', pointer: e.instancePath, message: `${w} must be ${articled(String((e.params as { type: unknown }).type))}` };
    case 'format':
      return { rule: 'schema-invalid', pointer: e.instancePath, message: `${w} must be a valid ${String((e.params as { format: string }).format)}` };
    default:
      return { rule: 'schema-invalid', pointer: e.instancePath, message: `${w} ${e.message ?? 'is invalid'}` };
  }
}

function articled(type: string): string {
  return type
    .split(',')
    .map((t) => (t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'null' ? 'null' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`))
    .join(' or ');
}

function typeAt(value: unknown, pointer: string): unknown {
  let cur: unknown = value;
  for (const seg of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = Object.hasOwn(cur, seg) ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  if (cur && typeof cur === 'object' && !Array.isArray(cur) && Object.hasOwn(cur, 'type')) return (cur as { type: unknown }).type;
  return cur;
}

function anyOfMessage(e: ErrorObject, children: ErrorObject[]): string {
  const w = where(e.instancePath);
  if (/^\/created$/.test(e.instancePath)) return createdMessage(w);
  if (children.length > 0 && children.every((c) => c.keyword === 'required')) {
    const keys = children.map((c) => `"${String((c.params as { missingProperty: string }).missingProperty)}"`);
    const parent = /\/assert\/\d+$/.test(e.instancePath) ? 'this assertion' : w;
    return `${parent} at ${w} needs one of ${keys.join(' or ')}`;
  }
  if (children.some((c) => /semver/.test(c.schemaPath)) && children.some((c) => c.keyword === 'type')) {
    return `${w} must be a strict semver version such as 1.2.0, or null`;
  }
  const parts = children.map((c) => (c.keyword === 'pattern' ? patternMessage(c).replace(`${w} `, '') : (c.message ?? c.keyword)));
  return `${w} ${[...new Set(parts)].join(', or ')}`;
}

function textFinding(value: unknown): SchemaFinding {
  const has = (k: string): boolean => value !== null && typeof value === 'object' && Object.hasOwn(value, k);
  return has('template') && has('messages')
    ? { rule: 'template-or-messages', pointer: '', key: 'template', message: 'a prompt has either "template" (one user message) or "messages" (a chat), not both; remove one' }
    : { rule: 'template-or-messages', pointer: '', message: 'a prompt needs its text: add "template: ..." (one user message) or "messages:" (a list of {role, content})' };
}

/** Validates `value` against the schema of `kind` and returns readable findings (no positions). */
export function schemaFindings(kind: SchemaKind, value: unknown): SchemaFinding[] {
  const validate = getValidator(kind);
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const out: SchemaFinding[] = [];
  const seen = new Set<string>();
  const push = (f: SchemaFinding | null): void => {
    if (!f) return;
    const k = `${f.pointer}|${f.key ?? ''}|${f.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(f);
    }
  };
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf' || (e.keyword === 'oneOf' && e.instancePath !== ''));
  const childOf = (e: ErrorObject): ErrorObject | undefined =>
    anyOfs.find((a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`) && e.instancePath.startsWith(a.instancePath));
  for (const e of errors) {
    // a prompt's text: exactly one of template / messages (at most one with `extends`), said in words
    if (kind === 'prompt' && (e.schemaPath.startsWith('#/else/oneOf') || e.schemaPath === '#/then/not')) {
      push(textFinding(value));
      continue;
    }
    if (e.keyword === 'if' || e.keyword === 'not') continue;
    if (childOf(e)) continue;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      const children = errors.filter((c) => c !== e && c.schemaPath.startsWith(`${e.schemaPath}/`) && c.instancePath === e.instancePath);
      push({ rule: 'schema-invalid', pointer: e.instancePath, message: anyOfMessage(e, children) });
      continue;
    }
    push(describeOne(e, value, kind));
  }
  // a required key that is "missing" because it is misspelled is said once, by the typo's did-you-mean
  const typos = new Set(out.filter((f) => f.rule === 'schema-unknown-key' && f.near !== undefined).map((f) => `${f.pointer}\0${f.near}`));
  return out.filter((f) => !(f.rule === 'schema-missing-key' && typos.has(`${f.pointer}\0${f.near}`))).map(({ near: _near, ...f }) => f);
}

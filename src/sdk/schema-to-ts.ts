/**
 * JSON Schema → TypeScript type text, for the subset prompt schemas use: type (and type
 * arrays), enum, const, properties/required, additionalProperties, items/prefixItems, anyOf,
 * oneOf, allOf, OpenAPI-style `nullable`, and `description` as doc comments. Anything else
 * ($ref, not, if/then, patternProperties…) falls back to `unknown`, which is always safe.
 *
 * Objects with `properties` are closed types unless `additionalProperties` is `true` or a
 * schema (then an `[key: string]: unknown` index is added), which is what editors should
 * suggest; TypeScript's structural typing still accepts extra keys from non-literal values.
 */
import { isObject } from '../core/json.js';
type Schema = Record<string, unknown>;

const MAX_DEPTH = 24;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const isObj: (x: unknown) => x is Schema = isObject;

/** A JSON value as a TypeScript literal type (JSON text is valid type syntax for literals). */
function literal(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'number';
  return JSON.stringify(v);
}

export function propertyKey(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

function union(members: string[]): string {
  const out: string[] = [];
  for (const m of members) {
    if (m === 'unknown') return 'unknown';
    if (m === 'never' || out.includes(m)) continue;
    out.push(m);
  }
  if (out.length === 0) return 'never';
  return out.map((m) => (out.length > 1 && / & /.test(m) && !m.startsWith('(') ? `(${m})` : m)).join(' | ');
}

function intersection(members: string[]): string {
  const out = members.filter((m, i) => m !== 'unknown' && members.indexOf(m) === i);
  if (out.includes('never')) return 'never';
  if (out.length === 0) return 'unknown';
  if (out.length === 1) return out[0]!;
  return out.map((m) => (/ \| /.test(m) && !m.startsWith('(') ? `(${m})` : m)).join(' & ');
}

function docComment(s: unknown, indent: string): string {
  if (!isObj(s) || typeof s.description !== 'string' || s.description.trim() === '') return '';
  const text = s.description.replace(/\*\//g, '*\\/').trim();
  const lines = text.split(/\r?\n/);
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n`;
}

function arrayOf(t: string): string {
  return /^[\w$."]+$/.test(t) ? `${t}[]` : `Array<${t}>`;
}

function objectType(s: Schema, indent: string, depth: number): string {
  const props = isObj(s.properties) ? s.properties : undefined;
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string') : []);
  const extra = s.additionalProperties;
  const names = props ? Object.keys(props) : [];
  if (names.length === 0) {
    if (extra === false) return 'Record<string, never>';
    if (isObj(extra)) return `Record<string, ${convert(extra, indent, depth + 1)}>`;
    return 'Record<string, unknown>';
  }
  const inner = `${indent}  `;
  let body = '';
  for (const name of names) {
    const p = props![name];
    body += docComment(p, inner);
    body += `${inner}${propertyKey(name)}${required.has(name) ? '' : '?'}: ${convert(p, inner, depth + 1)};\n`;
  }
  if (extra === true || isObj(extra)) body += `${inner}[key: string]: unknown;\n`;
  return `{\n${body}${indent}}`;
}

function arrayType(s: Schema, indent: string, depth: number): string {
  if (Array.isArray(s.prefixItems)) {
    const items = s.prefixItems.map((p) => convert(p, indent, depth + 1));
    if (s.items === false) return `[${items.join(', ')}]`;
    const rest = s.items === undefined || s.items === true ? 'unknown' : convert(s.items, indent, depth + 1);
    return `[${[...items, `...${arrayOf(rest)}`].join(', ')}]`;
  }
  if (s.items === undefined || s.items === true) return 'unknown[]';
  if (s.items === false) return '[]';
  return arrayOf(convert(s.items, indent, depth + 1));
}

function typeName(t: unknown, s: Schema, indent: string, depth: number): string {
  switch (t) {
    case 'string':
      return 'string';
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'object':
      return objectType(s, indent, depth);
    case 'array':
      return arrayType(s, indent, depth);
    default:
      return 'unknown';
  }
}

/** The TypeScript type for `schema`; `indent` is the indentation of the line the type starts on. */
export function convert(schema: unknown, indent = '', depth = 0): string {
  if (depth > MAX_DEPTH) return 'unknown';
  if (schema === true || schema === undefined) return 'unknown';
  if (schema === false) return 'never';
  if (!isObj(schema)) return 'unknown';
  const s = schema;
  let base: string;
  if ('const' in s) base = literal(s.const);
  else if (Array.isArray(s.enum)) base = union(s.enum.map(literal));
  else if (Array.isArray(s.type)) base = union(s.type.map((t) => typeName(t, s, indent, depth)));
  else if (s.type !== undefined) base = typeName(s.type, s, indent, depth);
  else if (isObj(s.properties) || s.additionalProperties !== undefined) base = objectType(s, indent, depth);
  else if (s.items !== undefined || s.prefixItems !== undefined) base = arrayType(s, indent, depth);
  else base = 'unknown';

  const parts = [base];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const members = s[key];
    if (Array.isArray(members) && members.length) parts.push(union(members.map((m) => convert(m, indent, depth + 1))));
  }
  if (Array.isArray(s.allOf) && s.allOf.length) parts.push(intersection(s.allOf.map((m) => convert(m, indent, depth + 1))));
  let t = intersection(parts);
  if (s.nullable === true && t !== 'unknown' && t !== 'null') t = union([t, 'null']);
  return t;
}



/** Model replies: fence stripping and JSON-Schema problems worded for outputs. */
import type { ErrorObject } from 'ajv';
import type { FieldProblem } from './errors.js';

/**
 * The regular expressions that define the fences (kept as the specification; the scanner below
 * gives exactly their first match in linear time, where these backtrack quadratically on long
 * runs of spaces or unclosed fences — a test compares the two):
 *   whole: /^```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```$/
 *   inner: /```(?:json|JSON)[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```/
 */
export const WHOLE_FENCE = /^```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```$/;
export const INNER_FENCE = /```(?:json|JSON)[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```/;

const isWord = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 45;
const isBlank = (c: number): boolean => c === 32 || c === 9;

/** After an opening "```…" at `p`: skip blanks, then \r?\n; the body's start, or -1. */
function openingEnd(t: string, p: number): number {
  while (p < t.length && isBlank(t.charCodeAt(p))) p++;
  if (t.charCodeAt(p) === 13) p++;
  return t.charCodeAt(p) === 10 ? p + 1 : -1;
}

/** Where the body ends before a closing ``` at `close`: blanks, then \n?, then \r? are not body. */
function bodyEnd(t: string, start: number, close: number): number {
  let q = close;
  while (q > start && isBlank(t.charCodeAt(q - 1))) q--;
  if (q > start && t.charCodeAt(q - 1) === 10) q--;
  if (q > start && t.charCodeAt(q - 1) === 13) q--;
  return q;
}

/** WHOLE_FENCE.exec(t)?.[1], in linear time. */
export function wholeFenceBody(t: string): string | null {
  if (!t.startsWith('```') || t.length < 7 || !t.endsWith('```')) return null;
  let p = 3;
  while (p < t.length && isWord(t.charCodeAt(p))) p++;
  const start = openingEnd(t, p);
  const close = t.length - 3;
  if (start === -1 || close < start) return null;
  return t.slice(start, bodyEnd(t, start, close));
}

/** INNER_FENCE.exec(t)?.[1], in linear time. */
export function innerFenceBody(t: string): string | null {
  for (let i = t.indexOf('```'); i !== -1; i = t.indexOf('```', i + 1)) {
    if (!t.startsWith('json', i + 3) && !t.startsWith('JSON', i + 3)) continue;
    const start = openingEnd(t, i + 7);
    if (start === -1) continue;
    // the first ``` after the opening line closes it; none means no later opening can close either
    const close = t.indexOf('```', start);
    if (close === -1) return null;
    return t.slice(start, bodyEnd(t, start, close));
  }
  return null;
}

/** The JSON text inside a reply: the body of a ``` / ```json fence when present, else the trimmed text. */
export function stripJsonFence(text: string): string {
  const t = text.trim();
  const whole = wholeFenceBody(t);
  if (whole !== null) return whole.trim();
  const inner = innerFenceBody(t);
  if (inner !== null) return inner.trim();
  return t;
}

export function describeOutputErrors(errors: readonly ErrorObject[] | null | undefined): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const e of errors ?? []) {
    const base = e.instancePath.replace(/^\//, '').split('/').filter(Boolean).join('.');
    const join = (f: string): string => (base ? `${base}.${f}` : f);
    if (e.keyword === 'required') {
      const f = join((e.params as { missingProperty: string }).missingProperty);
      out.push({ field: f, message: `missing required field "${f}"` });
    } else if (e.keyword === 'additionalProperties') {
      const f = join((e.params as { additionalProperty: string }).additionalProperty);
      out.push({ field: f, message: `unexpected field "${f}" (not in the output schema)` });
    } else if (e.keyword === 'enum') {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      out.push({ field: base, message: `${base ? `field "${base}"` : 'the reply'} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` });
    } else {
      out.push({ field: base, message: `${base ? `field "${base}"` : 'the reply'} ${e.message ?? 'is invalid'}` });
    }
  }
  return out;
}

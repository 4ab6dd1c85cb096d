/** Model replies: fence stripping and JSON-Schema problems worded for outputs. */
import type { ErrorObject } from 'ajv';
import type { FieldProblem } from './errors.js';

const WHOLE_FENCE = /^```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```$/;
const INNER_FENCE = /```(?:json|JSON)[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```/;

/** The JSON text inside a reply: the body of a ``` / ```json fence when present, else the trimmed text. */
export function stripJsonFence(text: string): string {
  const t = text.trim();
  const whole = WHOLE_FENCE.exec(t);
  if (whole) return (whole[1] ?? '').trim();
  const inner = INNER_FENCE.exec(t);
  if (inner) return (inner[1] ?? '').trim();
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

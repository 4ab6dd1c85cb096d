/**
 * What an assertion's own fields say before any output exists: the one reading of its pattern
 * (RE2, core/regex.ts) and its JSON path that eval runs (compileRegex, parseJsonPath), its bounds, and fields of the
 * wrong type or that its type ignores. `prompts validate` reports these (validate/checks/suite.ts)
 * and eval refuses a suite with any error among them (eval/suite.ts), so a suite validate passes
 * never fails on its own assertions at run time, and one it fails never runs.
 *
 * Light on purpose (no ajv): validate loads it in a pre-commit hook.
 */
import { parseJsonPath } from './jsonpath.js';
import { compileUserRegex, type UserRegex } from '../../core/regex.js';

/**
 * The regular expression eval matches with, or why it cannot be used: the user's pattern through
 * the one linear-time engine (core/regex.ts, RE2 syntax, cached there), as schema patterns are.
 */
export function compileRegex(pattern: string, flags: string): UserRegex | string {
  try {
    return compileUserRegex(pattern, flags);
  } catch (e) {
    return (e as Error).message;
  }
}

export type AssertionRule = 'suite-regex-invalid' | 'suite-json-path' | 'suite-assertion-range' | 'suite-assertion-type' | 'suite-assertion-unused';

export interface AssertionProblem {
  rule: AssertionRule;
  severity: 'error' | 'warning';
  /** the assertion's field the problem is in */
  field: string;
  message: string;
}

const COMMON = ['type', 'name', 'weight'];
/** the fields each type reads (eval/assertions/index.ts, the runner's llm-rubric grader) */
export const ASSERTION_FIELDS: Record<string, readonly string[]> = {
  equals: ['value'],
  contains: ['value'],
  icontains: ['value'],
  'not-contains': ['value'],
  'starts-with': ['value'],
  regex: ['pattern', 'value', 'flags'],
  'is-json': [],
  'json-schema': ['schema'],
  'json-path': ['path', 'equals', 'contains', 'matches', 'flags'],
  length: ['min', 'max'],
  similar: ['value', 'threshold'],
  latency: ['max_ms'],
  cost: ['max_usd'],
  tokens: ['min', 'max'],
  'llm-rubric': ['rubric', 'provider', 'model', 'threshold'],
};

const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const scalar = (v: unknown): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Every problem of one assertion (an object with a known `type`; the schema reports the rest). */
export function assertionProblems(a: Record<string, unknown>): AssertionProblem[] {
  const out: AssertionProblem[] = [];
  const type = own(a, 'type');
  if (typeof type !== 'string' || !Object.hasOwn(ASSERTION_FIELDS, type)) return out;
  const err = (rule: AssertionRule, field: string, message: string): void => void out.push({ rule, severity: 'error', field, message });
  const value = own(a, 'value');
  const flags = typeof own(a, 'flags') === 'string' ? (own(a, 'flags') as string) : '';

  if (type === 'regex') {
    const field = own(a, 'pattern') !== undefined ? 'pattern' : 'value';
    const pattern = own(a, field);
    if (typeof pattern !== 'string') {
      if (pattern !== undefined) err('suite-assertion-type', field, `regex ${field} must be a string (a regular expression), got ${kind(pattern)}; quote it: ${field}: "${String(JSON.stringify(pattern))}"`);
    } else {
      const re = compileRegex(pattern, flags);
      if (typeof re === 'string') err('suite-regex-invalid', field, re);
    }
  }
  if (type === 'json-path') {
    const path = own(a, 'path');
    if (typeof path === 'string') {
      const steps = parseJsonPath(path);
      if ('problem' in steps) err('suite-json-path', 'path', `invalid json-path: ${steps.problem}`);
    }
    const matches = own(a, 'matches');
    if (typeof matches === 'string') {
      const re = compileRegex(matches, flags);
      if (typeof re === 'string') err('suite-regex-invalid', 'matches', re);
    }
    // eval checks one of equals / contains / matches, in that order: the others would be ignored
    const given = ['equals', 'contains', 'matches'].filter((k) => own(a, k) !== undefined);
    if (given.length > 1) {
      out.push({ rule: 'suite-assertion-unused', severity: 'warning', field: given[1]!, message: `json-path checks only one of equals, contains, matches (here "${given[0]}"): "${given.slice(1).join('", "')}" is ignored; split it into separate assertions` });
    }
  }
  if (type === 'contains' || type === 'icontains' || type === 'not-contains') {
    const ok = scalar(value) || (Array.isArray(value) && value.length > 0 && value.every(scalar));
    if (value !== undefined && !ok) err('suite-assertion-type', 'value', `${type} value must be a text or a list of texts, got ${kind(value)}${Array.isArray(value) && value.length === 0 ? ' that is empty' : ''}`);
  }
  if ((type === 'starts-with' || type === 'similar') && value !== undefined && !scalar(value)) {
    err('suite-assertion-type', 'value', `${type} value must be a text, got ${kind(value)}`);
  }
  if (type === 'length' || type === 'tokens') {
    const min = own(a, 'min');
    const max = own(a, 'max');
    if (typeof min === 'number' && typeof max === 'number' && min > max) {
      err('suite-assertion-range', 'min', `${type}: min ${min} is greater than max ${max}, so no output can pass; swap them`);
    }
    for (const [k, v] of [['min', min], ['max', max]] as const) {
      if (typeof v === 'number' && !Number.isInteger(v)) err('suite-assertion-type', k, `${type} ${k} must be a whole number, got ${v}`);
    }
  }
  const known = new Set([...COMMON, ...ASSERTION_FIELDS[type]!]);
  for (const k of Object.keys(a)) {
    if (known.has(k)) continue;
    if (!Object.values(ASSERTION_FIELDS).some((fs) => fs.includes(k))) continue; // unknown keys: the schema's error
    out.push({ rule: 'suite-assertion-unused', severity: 'warning', field: k, message: `"${k}" does nothing in ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} assertion (it reads ${ASSERTION_FIELDS[type]!.length ? ASSERTION_FIELDS[type]!.join(', ') : 'no other field'})` });
  }
  return out;
}

/**
 * An eval suite (prompts/<id>/evals.yaml): its schema, unique case names, valid semver ranges,
 * and each assertion's own parts (regular expressions, inline schemas, json paths, providers).
 */
import { createRequire } from 'node:module';
import { isObject } from '../../core/json.js';
import { checkProviderName, own, ptr, schemaStep, type Obj, type Reporter } from './reporter.js';
import type { CaseFact, CheckContext } from './types.js';
import { jsonSchemaProblem } from '../json-schema.js';
import { assertionProblems } from '../../eval/assertions/check.js';

const requireCjs = createRequire(import.meta.url);
/** semver's range parser, loaded on first use (most runs never need it) */
function validRange(range: string): string | null {
  // the usual forms (">=1.2.0", "^1.0.0 <2.0.0-rc.1", "1.x || >=2.1") are valid by construction
  if (range.split('||').every((part) => SIMPLE_RANGE.test(part))) return range;
  const fn = requireCjs('semver/ranges/valid.js') as (r: string) => string | null;
  return fn(range);
}
const NUM = '(?:0|[1-9]\\d*)';
const PART = `(?:${NUM}|[xX*])`;
const PRE = '(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const COMPARATOR = `(?:>=|<=|>|<|=|\\^|~)?${PART}(?:\\.${PART}(?:\\.${PART}${PRE})?)?`;
const SIMPLE_RANGE = new RegExp(`^\\s*${COMPARATOR}(?:\\s+${COMPARATOR})*\\s*$`);

/** The suite's cases as far as their vars go (defaults.vars included), for the cross-file check. */
export function caseFacts(v: Obj): CaseFact[] {
  const d = own(v, 'defaults');
  const dv = isObject(d) && isObject(own(d, 'vars')) ? Object.keys(d.vars as Obj) : [];
  const cases = own(v, 'cases');
  if (!Array.isArray(cases)) return [];
  const out: CaseFact[] = [];
  cases.forEach((c, index) => {
    if (!isObject(c)) return;
    const vars = isObject(own(c, 'vars')) ? Object.keys(c.vars as Obj) : [];
    const range = own(c, 'versions');
    out.push({ index, name: typeof own(c, 'name') === 'string' ? (c.name as string) : `#${index + 1}`, ...(typeof range === 'string' ? { versions: range } : {}), vars: [...new Set([...dv, ...vars])] });
  });
  return out;
}

function checkAssertions(r: Reporter, list: unknown, base: string, ctx: CheckContext): void {
  if (!Array.isArray(list)) return;
  list.forEach((a, i) => {
    if (!isObject(a)) return;
    const p = `${base}/${i}`;
    const type = own(a, 'type');
    // eval's own reading of the assertion (its regex compile and JSON-path parser, its bounds)
    for (const pr of assertionProblems(a)) r.add(pr.severity, pr.rule, pr.message, r.doc.pos(`${p}/${pr.field}`));
    if (type === 'json-schema' && isObject(own(a, 'schema'))) {
      const sp = jsonSchemaProblem(own(a, 'schema'));
      if (sp) r.error('suite-schema-invalid', `the assertion's schema is not a valid JSON Schema: ${sp}`, `${p}/schema`);
    }
    if (type === 'llm-rubric') checkProviderName(r, own(a, 'provider'), `${p}/provider`, ctx);
  });
}

export function checkSuite(r: Reporter, ctx: CheckContext): void {
  const v = r.doc.value;
  schemaStep(r, 'suite');
  const defaults = own(v, 'defaults');
  if (isObject(defaults)) checkAssertions(r, own(defaults, 'assert'), '/defaults/assert', ctx);
  const cases = own(v, 'cases');
  if (!Array.isArray(cases)) return;
  const names = new Map<string, number>();
  cases.forEach((c, i) => {
    if (!isObject(c)) return;
    const name = own(c, 'name');
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first !== undefined) r.error('suite-duplicate-case', `case name "${name}" is used twice (first by case ${first + 1}); case names must be unique`, ptr('cases', i, 'name'));
      else names.set(name, i);
    }
    const range = own(c, 'versions');
    if (typeof range === 'string' && validRange(range) === null) {
      r.error('suite-versions-range', `"${range}" is not a valid semver range (e.g. ">=1.2.0", "^1.0.0", "1.x")`, ptr('cases', i, 'versions'));
    }
    checkAssertions(r, own(c, 'assert'), ptr('cases', i, 'assert'), ctx);
  });
}

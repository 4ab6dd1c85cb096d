/**
 * Assertions (SPEC §3): each returns pass/fail and, on failure, a message showing what was
 * expected and what the output actually was. All are deterministic except `llm-rubric`, which
 * calls a grader supplied by the runner.
 */
import type { Assertion, JsonSchema } from '../../core/types.js';
import { compileUserSchema } from '../../core/render.js';
import type { ValidateFunction } from 'ajv';
import type { Usage } from '../../providers/types.js';
import { canonicalJson } from '../../core/json.js';
import { parseJsonPath, selectJsonPath } from './jsonpath.js';
// the one compile of a user's pattern, shared with validate (check.ts)
import { compileRegex } from './check.js';
import { similarityAtLeast } from './similarity.js';
import type { Grade } from './rubric.js';
import { stripJsonFence } from '../../sdk/output.js';

export interface AssertionContext {
  output: string;
  latency_ms: number;
  tokens: Usage | null;
  cost_usd: number | null;
  /** the version's output.schema, for `json-schema` without an inline schema */
  outputSchema?: JsonSchema;
  /** the llm-rubric grader (absent: llm-rubric fails saying no grader is available) */
  grade?: (a: Assertion, output: string) => Promise<Grade>;
}

export interface AssertionResult {
  type: string;
  name?: string;
  pass: boolean;
  message: string;
  weight: number;
  score?: number | null;
}

const MAX_SHOWN = 120;
/** The actual output as shown in a failure message: quoted, one line, shortened. */
export function shown(s: string): string {
  const one = JSON.stringify(s);
  return one.length > MAX_SHOWN ? `${one.slice(0, MAX_SHOWN - 1)}…" (${s.length} chars)` : one;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * Output parsed as JSON exactly as the runtime's parseOutput reads a reply (a ``` / ```json
 * fence, alone or inside prose, is unwrapped), so a gate never refuses replies the app accepts.
 */
export function parseJsonOutput(output: string): { value: unknown } | { problem: string } {
  const t = stripJsonFence(output);
  try {
    return { value: JSON.parse(t) as unknown };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

const schemaCache = new WeakMap<object, ValidateFunction | string>();
function compileSchema(schema: JsonSchema): ValidateFunction | string {
  let v = schemaCache.get(schema);
  if (!v) {
    try {
      v = compileUserSchema(schema);
    } catch (e) {
      v = `the schema is invalid: ${(e as Error).message.split('\n')[0]}`;
    }
    schemaCache.set(schema, v);
  }
  return v;
}

type Check = { pass: boolean; message: string; score?: number | null };

function checkSync(a: Assertion, c: AssertionContext): Check {
  const out = c.output;
  switch (a.type) {
    case 'equals': {
      const expected = a.value;
      if (typeof expected !== 'string') {
        const parsed = parseJsonOutput(out);
        if ('value' in parsed && deepEqual(parsed.value, expected)) return { pass: true, message: 'output equals the expected value' };
        return { pass: false, message: `expected output to equal ${str(expected)}, got ${shown(out)}` };
      }
      if (out.trim() === expected.trim()) return { pass: true, message: 'output equals the expected value' };
      return { pass: false, message: `expected output to equal ${shown(expected)}, got ${shown(out)}` };
    }
    case 'contains':
    case 'icontains':
    case 'not-contains': {
      const values = Array.isArray(a.value) ? a.value.map(str) : [str(a.value)];
      const ci = a.type === 'icontains';
      const hay = ci ? out.toLowerCase() : out;
      const found = values.map((v) => hay.includes(ci ? v.toLowerCase() : v));
      if (a.type === 'not-contains') {
        const bad = values.filter((_, i) => found[i]);
        return bad.length
          ? { pass: false, message: `expected output not to contain ${bad.map((b) => JSON.stringify(b)).join(', ')}, got ${shown(out)}` }
          : { pass: true, message: `output does not contain ${values.map((v) => JSON.stringify(v)).join(', ')}` };
      }
      const missing = values.filter((_, i) => !found[i]);
      return missing.length
        ? { pass: false, message: `expected output to ${ci ? 'contain (ignoring case)' : 'contain'} ${missing.map((m) => JSON.stringify(m)).join(', ')}, got ${shown(out)}` }
        : { pass: true, message: `output contains ${values.map((v) => JSON.stringify(v)).join(', ')}` };
    }
    case 'starts-with': {
      const v = str(a.value);
      return out.trimStart().startsWith(v)
        ? { pass: true, message: `output starts with ${JSON.stringify(v)}` }
        : { pass: false, message: `expected output to start with ${JSON.stringify(v)}, got ${shown(out)}` };
    }
    case 'regex': {
      const pattern = a.pattern ?? str(a.value);
      const re = compileRegex(pattern, a.flags ?? '');
      if (typeof re === 'string') return { pass: false, message: re };
      return re.test(out)
        ? { pass: true, message: `output matches /${pattern}/${a.flags ?? ''}` }
        : { pass: false, message: `expected output to match /${pattern}/${a.flags ?? ''}, got ${shown(out)}` };
    }
    case 'is-json': {
      const p = parseJsonOutput(out);
      return 'value' in p ? { pass: true, message: 'output is valid JSON' } : { pass: false, message: `expected output to be JSON (${p.problem}), got ${shown(out)}` };
    }
    case 'json-schema': {
      const schema = a.schema ?? c.outputSchema;
      if (!schema) return { pass: false, message: 'json-schema has no schema: add `schema:` to the assertion or `output.schema` to the prompt version' };
      const p = parseJsonOutput(out);
      if (!('value' in p)) return { pass: false, message: `expected JSON matching the schema, but the output is not JSON (${p.problem}): ${shown(out)}` };
      const v = compileSchema(schema);
      if (typeof v === 'string') return { pass: false, message: v };
      if (v(p.value)) return { pass: true, message: 'output matches the JSON schema' };
      const errs = (v.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
      return { pass: false, message: `expected output to match the JSON schema: ${errs.join('; ')}; got ${shown(out)}` };
    }
    case 'json-path': {
      const path = a.path ?? '$';
      const steps = parseJsonPath(path);
      if ('problem' in steps) return { pass: false, message: steps.problem };
      const p = parseJsonOutput(out);
      if (!('value' in p)) return { pass: false, message: `expected JSON for ${path}, but the output is not JSON (${p.problem}): ${shown(out)}` };
      const found = selectJsonPath(p.value, steps);
      if (found.length === 0) return { pass: false, message: `expected ${path} to exist, but it selects nothing in ${shown(out)}` };
      const got = found.length === 1 ? str(found[0]) : `[${found.map(str).join(', ')}]`;
      if (a.equals !== undefined) {
        return found.some((f) => deepEqual(f, a.equals))
          ? { pass: true, message: `${path} equals ${str(a.equals)}` }
          : { pass: false, message: `expected ${path} to equal ${str(a.equals)}, got ${got}` };
      }
      if (a.contains !== undefined) {
        const ok = found.some((f) => (typeof f === 'string' ? f.includes(str(a.contains)) : Array.isArray(f) ? f.some((x) => deepEqual(x, a.contains)) : false));
        return ok ? { pass: true, message: `${path} contains ${str(a.contains)}` } : { pass: false, message: `expected ${path} to contain ${str(a.contains)}, got ${got}` };
      }
      if (a.matches !== undefined) {
        const re = compileRegex(a.matches, a.flags ?? '');
        if (typeof re === 'string') return { pass: false, message: re };
        return found.some((f) => re.test(typeof f === 'string' ? f : JSON.stringify(f)))
          ? { pass: true, message: `${path} matches /${a.matches}/` }
          : { pass: false, message: `expected ${path} to match /${a.matches}/, got ${got}` };
      }
      return { pass: true, message: `${path} exists` };
    }
    case 'length': {
      const n = [...out].length;
      if (a.min !== undefined && n < a.min) return { pass: false, message: `expected at least ${a.min} characters, got ${n}` };
      if (a.max !== undefined && n > a.max) return { pass: false, message: `expected at most ${a.max} characters, got ${n}` };
      return { pass: true, message: `length ${n} is within ${a.min ?? 0}..${a.max ?? '∞'}` };
    }
    case 'similar': {
      const v = str(a.value);
      const threshold = a.threshold ?? 0.8;
      const sim = similarityAtLeast(out.trim(), v.trim(), threshold);
      if ('tooLong' in sim) return { pass: false, message: `similar: ${sim.tooLong}`, score: null };
      const r = Math.round(sim.score * 1000) / 1000;
      return sim.score >= threshold
        ? { pass: true, message: `similarity ${r} ≥ ${threshold}`, score: r }
        : { pass: false, message: `expected similarity ≥ ${threshold} to ${shown(v)}, got ${sim.exact ? r : `< ${r}`} for ${shown(out)}`, score: r };
    }
    case 'latency': {
      const max = a.max_ms ?? Infinity;
      return c.latency_ms <= max
        ? { pass: true, message: `latency ${c.latency_ms} ms ≤ ${max} ms` }
        : { pass: false, message: `expected latency ≤ ${max} ms, got ${c.latency_ms} ms` };
    }
    case 'cost': {
      const max = a.max_usd ?? Infinity;
      if (c.cost_usd === null) return { pass: false, message: `expected cost ≤ $${max}, but the cost is unknown: add prices for this model under the provider's prices: in prompts.config.yaml` };
      return c.cost_usd <= max
        ? { pass: true, message: `cost $${c.cost_usd.toFixed(6)} ≤ $${max}` }
        : { pass: false, message: `expected cost ≤ $${max}, got $${c.cost_usd.toFixed(6)}` };
    }
    case 'tokens': {
      if (!c.tokens) return { pass: false, message: 'expected a token count, but the provider reported no usage' };
      const n = c.tokens.total;
      if (a.max !== undefined && n > a.max) return { pass: false, message: `expected at most ${a.max} tokens (input + output), got ${n}` };
      if (a.min !== undefined && n < a.min) return { pass: false, message: `expected at least ${a.min} tokens (input + output), got ${n}` };
      return { pass: true, message: `${n} tokens ≤ ${a.max ?? '∞'}` };
    }
    default:
      return { pass: false, message: `unknown assertion type "${(a as { type: string }).type}"` };
  }
}

function finish(a: Assertion, r: Check): AssertionResult {
  const res: AssertionResult = { type: a.type, pass: r.pass, message: r.message, weight: a.weight ?? 1 };
  if (a.name !== undefined) res.name = a.name;
  if (r.score !== undefined) res.score = r.score;
  return res;
}

export async function runAssertion(a: Assertion, c: AssertionContext): Promise<AssertionResult> {
  if (a.type !== 'llm-rubric') return finish(a, checkSync(a, c));
  if (!c.grade) return finish(a, { pass: false, message: 'llm-rubric needs a grading provider, but none is available' });
  try {
    const g = await c.grade(a, c.output);
    const sc = g.score === null ? '' : ` (score ${g.score})`;
    return finish(a, {
      pass: g.pass,
      score: g.score,
      message: g.pass ? `rubric satisfied${sc}${g.reason ? `: ${g.reason}` : ''}` : `expected the output to satisfy the rubric ${JSON.stringify(a.rubric)}; grader said fail${sc}${g.reason ? `: ${g.reason}` : ''}`,
    });
  } catch (e) {
    return finish(a, { pass: false, message: `llm-rubric grading failed: ${(e as Error).message}` });
  }
}

/** Runs every assertion; the sync ones without awaiting (fast path for thousands of cases). */
export async function runAssertions(list: readonly Assertion[], c: AssertionContext): Promise<AssertionResult[]> {
  const out: AssertionResult[] = [];
  for (const a of list) out.push(a.type === 'llm-rubric' ? await runAssertion(a, c) : finish(a, checkSync(a, c)));
  return out;
}

export { checkSync as checkAssertionSync };

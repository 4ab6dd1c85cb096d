import { describe, expect, it } from 'vitest';
import { runAssertion, runAssertions, type AssertionContext } from '../../src/eval/assertions/index.js';
import { parseJsonPath, selectJsonPath } from '../../src/eval/assertions/jsonpath.js';
import { levenshtein, similarity } from '../../src/eval/assertions/similarity.js';
import { parseGrade } from '../../src/eval/assertions/rubric.js';
import type { Assertion } from '../../src/core/types.js';

const ctx = (output: string, extra: Partial<AssertionContext> = {}): AssertionContext => ({
  output,
  latency_ms: 120,
  tokens: { input: 30, output: 12, total: 42 },
  cost_usd: 0.0005,
  ...extra,
});

async function check(a: Assertion, output: string, extra: Partial<AssertionContext> = {}) {
  return runAssertion(a, ctx(output, extra));
}

/** [assertion, passing output, failing output, text the failure message must contain (expected and actual)] */
const table: [Assertion, string, string, string[]][] = [
  [{ type: 'equals', value: 'billing' }, ' billing\n', 'refund', ['"billing"', '"refund"']],
  [{ type: 'equals', value: { a: 1 } }, '{"a": 1}', '{"a": 2}', ['{"a":1}', '{\\"a\\": 2}']],
  [{ type: 'contains', value: 'pro' }, 'tier: pro', 'tier: free', ['"pro"', '"tier: free"']],
  [{ type: 'contains', value: ['a', 'b'] }, 'a and b', 'a only', ['"b"', '"a only"']],
  [{ type: 'icontains', value: 'PRO' }, 'tier: pro', 'tier: free', ['ignoring case', '"PRO"', '"tier: free"']],
  [{ type: 'not-contains', value: 'sorry' }, 'Here you go', 'Sorry, sorry', ['not to contain "sorry"', '"Sorry, sorry"']],
  [{ type: 'regex', pattern: '^cat-\\d+$' }, 'cat-12', 'dog-1', ['/^cat-\\d+$/', '"dog-1"']],
  [{ type: 'regex', value: 'HELLO', flags: 'i' }, 'well hello', 'bye', ['/HELLO/i', '"bye"']],
  [{ type: 'starts-with', value: 'Dear' }, '  Dear Ana', 'Hi Ana', ['"Dear"', '"Hi Ana"']],
  [{ type: 'is-json' }, '```json\n{"a":1}\n```', '{a:1}', ['to be JSON', '"{a:1}"']],
  // a fence inside prose is read the way the runtime's parseOutput reads it
  [{ type: 'json-path', path: '$.a', equals: 1 }, 'Sure!\n```json\n{"a":1}\n```', 'Sure!\n```json\n{"a":2}\n```', ['to equal 1', 'got 2']],
  [{ type: 'json-schema', schema: { type: 'object', required: ['category'] } }, '{"category":"x"}', '{"other":1}', ["must have required property 'category'", '{\\"other\\":1}']],
  [{ type: 'json-path', path: '$.category', equals: 'billing' }, '{"category":"billing"}', '{"category":"tech"}', ['to equal billing', 'got tech']],
  [{ type: 'json-path', path: '$.tags', contains: 'vip' }, '{"tags":["vip","new"]}', '{"tags":["new"]}', ['to contain vip', 'got ["new"]']],
  [{ type: 'json-path', path: "$.items[0]['name']", matches: '^Wid' }, '{"items":[{"name":"Widget"}]}', '{"items":[{"name":"Gadget"}]}', ['to match /^Wid/', 'got Gadget']],
  [{ type: 'json-path', path: '$.a.b' }, '{"a":{"b":null}}', '{"a":{}}', ['$.a.b to exist', 'selects nothing']],
  [{ type: 'length', min: 3, max: 5 }, 'abcd', 'abcdefg', ['at most 5', 'got 7']],
  [{ type: 'length', min: 3 }, 'abc', 'ab', ['at least 3', 'got 2']],
  [{ type: 'similar', value: 'The cat sat on the mat', threshold: 0.8 }, 'The cat sat on a mat', 'Dogs run fast', ['≥ 0.8', '"The cat sat on the mat"', '"Dogs run fast"']],
];

describe('deterministic assertions', () => {
  for (const [a, good, bad, mustShow] of table) {
    it(`${a.type} ${JSON.stringify(a).slice(0, 60)} passes and fails with expected vs actual`, async () => {
      const ok = await check(a, good);
      expect(ok.pass, ok.message).toBe(true);
      const ko = await check(a, bad);
      expect(ko.pass).toBe(false);
      for (const s of mustShow) expect(ko.message).toContain(s);
    });
  }

  it('json-schema falls back to the version output.schema, and says so when there is none', async () => {
    const schema = { type: 'object', required: ['category'], properties: { category: { type: 'string' } } };
    expect((await check({ type: 'json-schema' }, '{"category":"a"}', { outputSchema: schema })).pass).toBe(true);
    const ko = await check({ type: 'json-schema' }, '{"category":3}', { outputSchema: schema });
    expect(ko.pass).toBe(false);
    expect(ko.message).toContain('/category must be string');
    const none = await check({ type: 'json-schema' }, '{}');
    expect(none.pass).toBe(false);
    expect(none.message).toContain('output.schema');
  });

  it('json-schema and json-path fail clearly on non-JSON output', async () => {
    expect((await check({ type: 'json-schema', schema: {} }, 'not json')).message).toContain('not JSON');
    expect((await check({ type: 'json-path', path: '$.a', equals: 1 }, 'nope')).message).toContain('not JSON');
  });

  it('latency, cost and tokens compare the measured values', async () => {
    expect((await check({ type: 'latency', max_ms: 200 }, '')).pass).toBe(true);
    const slow = await check({ type: 'latency', max_ms: 100 }, '');
    expect(slow.pass).toBe(false);
    expect(slow.message).toBe('expected latency ≤ 100 ms, got 120 ms');
    expect((await check({ type: 'cost', max_usd: 0.001 }, '')).pass).toBe(true);
    const dear = await check({ type: 'cost', max_usd: 0.0001 }, '');
    expect(dear.pass).toBe(false);
    expect(dear.message).toContain('$0.0001, got $0.000500');
    const unknown = await check({ type: 'cost', max_usd: 1 }, '', { cost_usd: null });
    expect(unknown.pass).toBe(false);
    expect(unknown.message).toContain('prices');
    expect((await check({ type: 'tokens', max: 50 }, '')).pass).toBe(true);
    const many = await check({ type: 'tokens', max: 40 }, '');
    expect(many.pass).toBe(false);
    expect(many.message).toContain('at most 40 tokens (input + output), got 42');
    expect((await check({ type: 'tokens', max: 40 }, '', { tokens: null })).message).toContain('no usage');
  });

  it('an invalid regex fails the assertion with the reason instead of throwing', async () => {
    const r = await check({ type: 'regex', pattern: '(' }, 'x');
    expect(r.pass).toBe(false);
    expect(r.message).toContain('invalid regular expression');
  });

  it('name and weight are carried into the result', async () => {
    const [r] = await runAssertions([{ type: 'contains', value: 'x', name: 'has x', weight: 3 }], ctx('x'));
    expect(r).toMatchObject({ name: 'has x', weight: 3, pass: true, type: 'contains' });
  });

  it('long actual outputs are shortened in messages', async () => {
    const r = await check({ type: 'contains', value: 'zzz' }, 'a'.repeat(5000));
    expect(r.message.length).toBeLessThan(250);
    expect(r.message).toContain('(5000 chars)');
  });
});

describe('llm-rubric', () => {
  const a: Assertion = { type: 'llm-rubric', rubric: 'is polite' };
  it('passes with the grader verdict and reason', async () => {
    const r = await check(a, 'Dear customer', { grade: async () => ({ pass: true, score: 0.9, reason: 'polite' }) });
    expect(r.pass).toBe(true);
    expect(r.score).toBe(0.9);
    expect(r.message).toContain('polite');
  });
  it('fails showing the rubric and the grader reason', async () => {
    const r = await check(a, 'go away', { grade: async () => ({ pass: false, score: 0.1, reason: 'rude' }) });
    expect(r.pass).toBe(false);
    expect(r.message).toContain('"is polite"');
    expect(r.message).toContain('rude');
  });
  it('fails clearly when grading throws or no grader exists', async () => {
    expect((await check(a, 'x', { grade: async () => Promise.reject(new Error('HTTP 500')) })).message).toContain('grading failed: HTTP 500');
    expect((await check(a, 'x')).message).toContain('needs a grading provider');
  });
});

describe('parseGrade', () => {
  it('reads the JSON verdict', () => {
    expect(parseGrade('{"pass": true, "score": 0.8, "reason": "ok"}')).toEqual({ pass: true, score: 0.8, reason: 'ok' });
  });
  it('finds JSON inside prose or a code fence', () => {
    expect(parseGrade('Here is my grade:\n{"pass": false, "score": 0.2, "reason": "bad"} hope it helps')).toMatchObject({ pass: false, score: 0.2 });
    expect(parseGrade('```json\n{"pass": true}\n```')).toMatchObject({ pass: true, score: null });
  });
  it('derives pass from a score and a threshold when pass is missing', () => {
    expect(parseGrade('{"score": 0.4}', 0.5)).toMatchObject({ pass: false });
    expect(parseGrade('{"score": 7}', 0.5)).toMatchObject({ pass: true, score: 0.7 });
  });
  it('falls back to PASS/FAIL words and score: x', () => {
    expect(parseGrade('PASS - the answer is polite')).toMatchObject({ pass: true });
    expect(parseGrade('Verdict: FAIL. It is rude.')).toMatchObject({ pass: false });
    expect(parseGrade('score: 0.9')).toMatchObject({ pass: true, score: 0.9 });
  });
  it('returns null when no verdict can be read', () => {
    expect(parseGrade('I cannot decide')).toBeNull();
  });
});

describe('json path and similarity helpers', () => {
  it('parses and selects paths', () => {
    const doc = { a: { b: [10, 20, 30] }, 'x y': 1, list: [{ n: 1 }, { n: 2 }] };
    const sel = (p: string) => {
      const steps = parseJsonPath(p);
      if ('problem' in steps) throw new Error(steps.problem);
      return selectJsonPath(doc, steps);
    };
    expect(sel('$.a.b[0]')).toEqual([10]);
    expect(sel('$.a.b[-1]')).toEqual([30]);
    expect(sel("$['x y']")).toEqual([1]);
    expect(sel('$.list[*].n')).toEqual([1, 2]);
    expect(sel('$.missing')).toEqual([]);
    expect(parseJsonPath('a.b')).toHaveProperty('problem');
    expect(parseJsonPath('$.a[?(@.x)]')).toHaveProperty('problem');
  });
  it('levenshtein and normalized similarity', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(similarity('abc', 'abc')).toBe(1);
    expect(similarity('', '')).toBe(1);
    expect(similarity('abcd', 'wxyz')).toBe(0);
    expect(similarity('héllo', 'hello')).toBeCloseTo(0.8);
  });
});

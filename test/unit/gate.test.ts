import { describe, it, expect } from 'vitest';
import { judgeGate, needsBaseline, type GateEvidence } from '../../src/core/gate.js';

const ev = (over: Partial<GateEvidence> = {}): GateEvidence => ({
  id: 'a',
  version: '1.1.0',
  pass_rate: 1,
  passed: 2,
  cases: 2,
  errors: 0,
  stopped: null,
  firstError: null,
  results: [
    { name: 'one', pass: true, why: null },
    { name: 'two', pass: true, why: null },
  ],
  ...over,
});

describe('judgeGate (the verdict promote turns into a refusal)', () => {
  it('passes when every configured bound holds', () => {
    expect(judgeGate({ min_pass_rate: 0.8, no_regressions: true }, ev())).toEqual({ passed: true, failures: [] });
  });

  it('below min_pass_rate: the rate, then every failed case with why', () => {
    const v = judgeGate({ min_pass_rate: 0.8 }, ev({ pass_rate: 0.5, passed: 1, results: [{ name: 'one', pass: true, why: null }, { name: 'two', pass: false, why: 'expected "x"' }] }));
    expect(v).toEqual({ passed: false, failures: ['pass rate 50.0% (1/2) is below the gate\'s min_pass_rate 80.0%', 'case "two" failed: expected "x"'] });
  });

  it('an eval that stopped early, has no cases, or evaluated none fails whatever the bounds', () => {
    expect(judgeGate({}, ev({ stopped: 'interrupted' })).failures).toEqual(['the eval stopped early: interrupted']);
    expect(judgeGate({}, ev({ cases: 0, passed: 0, results: [] })).failures).toEqual(['the suite has no cases that apply to a@1.1.0']);
    expect(judgeGate({}, ev({ errors: 2, passed: 0, pass_rate: 0, firstError: 'HTTP 500', results: [{ name: 'one', pass: false, why: 'HTTP 500' }, { name: 'two', pass: false, why: 'HTTP 500' }] })).failures).toEqual(['no case could be evaluated: HTTP 500']);
  });

  it('no_regressions: each regression and each case the baseline could not answer', () => {
    const v = judgeGate(
      { no_regressions: true },
      ev({
        results: [{ name: 'one', pass: false, why: 'too long' }, { name: 'two', pass: false, why: 'bad json' }],
        baseline: { version: '1.0.0', regressions: ['one'], unverified: [{ name: 'two', error: 'timeout' }] },
      }),
    );
    expect(v.failures).toEqual([
      'regression: case "one" passes on 1.0.0 but fails on 1.1.0: too long',
      'case "two" fails on 1.1.0 and could not be evaluated on 1.0.0 (timeout): no_regressions cannot be checked',
    ]);
  });

  it('needs a baseline run only for no_regressions against another pinned version', () => {
    expect(needsBaseline({ no_regressions: true }, '1.0.0', '1.1.0')).toBe(true);
    expect(needsBaseline({ no_regressions: true }, null, '1.1.0')).toBe(false);
    expect(needsBaseline({ no_regressions: true }, '1.1.0', '1.1.0')).toBe(false);
    expect(needsBaseline({ min_pass_rate: 1 }, '1.0.0', '1.1.0')).toBe(false);
  });
});

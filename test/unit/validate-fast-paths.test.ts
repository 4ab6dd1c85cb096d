/**
 * The fast paths of `prompts validate` give exactly what the slow paths they stand in for give.
 */
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { simpleSatisfies, safeSatisfies } from '../../src/validate/engine.js';

const require = createRequire(import.meta.url);
const satisfies = require('semver/functions/satisfies.js') as (v: string, r: string, o: object) => boolean;

describe('simpleSatisfies (semver satisfies without semver)', () => {
  const versions = ['0.0.0', '0.1.0', '1.0.0', '1.1.9', '1.2.0', '1.2.1', '1.10.0', '2.0.0', '10.0.0', '1.2.0-rc.1', 'v1.2.0', '01.2.0', '1.2'];
  const ranges = [
    '>=1.2.0', '>1.2.0', '<=1.2.0', '<1.2.0', '=1.2.0', '1.2.0', ' >=1.0.0   <2.0.0 ', '>=1.2.0 <1.2.0', '>0.0.0', '<10.0.0 >=1.10.0',
    // forms left to semver
    '^1.0.0', '~1.2.0', '1.x', '*', '', '>= 1.2.0', '1.0.0 - 2.0.0', '>=1.2.0 || <1.0.0', '>=1.2.0-rc.0', '>=1.2', 'x',
  ];
  it('agrees with semver (includePrerelease) wherever it answers, and answers the common forms', () => {
    let answered = 0;
    for (const v of versions) {
      for (const r of ranges) {
        const fast = simpleSatisfies(v, r);
        let slow: boolean;
        try {
          slow = satisfies(v, r, { includePrerelease: true });
        } catch {
          slow = false;
        }
        if (fast !== undefined) {
          answered++;
          expect([v, r, fast]).toEqual([v, r, slow]);
        }
        expect([v, r, safeSatisfies(v, r)]).toEqual([v, r, slow]);
      }
    }
    expect(answered).toBeGreaterThan(80);
    expect(simpleSatisfies('1.2.0', '>=1.2.0')).toBe(true);
    expect(simpleSatisfies('1.2.0', '^1.0.0')).toBeUndefined();
  });
});

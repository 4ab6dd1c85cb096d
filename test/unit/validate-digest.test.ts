import { describe, it, expect } from 'vitest';
import * as path from 'node:path';
import { CHECK_CODE } from '../../src/validate/digest.js';
import { reachable } from '../helpers/import-graph.js';

describe('the validate cache digest', () => {
  it('covers every module the per-file checks run (a new build never trusts results of the old one)', () => {
    const code = [...reachable('validate/checks/index.ts')].map((rel) => path.posix.relative('validate', rel).replace(/\.ts$/, '.js')).sort();
    expect(code.filter((f) => !CHECK_CODE.includes(f))).toEqual([]);
  });
});

import { describe, it, expect } from 'vitest';
import { canonicalJson, isObject, jsonEqual, sortKeysDeep } from '../../src/core/json.js';

describe('core/json: the one home of JSON value facts', () => {
  it('isObject is true for mappings only', () => {
    expect([{}, { a: 1 }, Object.create(null)].map(isObject)).toEqual([true, true, true]);
    expect([null, undefined, [], 'x', 1, true].map(isObject)).toEqual([false, false, false, false, false, false]);
  });

  it('canonicalJson sorts keys at every depth, drops undefined members, writes non-finite numbers as null', () => {
    expect(canonicalJson({ b: [{ y: 1, x: 2 }], a: undefined, c: NaN })).toBe('{"b":[{"x":2,"y":1}],"c":null}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('jsonEqual ignores key order; an absent value equals only an absent value', () => {
    expect(jsonEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual(undefined, null)).toBe(false);
    expect(jsonEqual(undefined, undefined)).toBe(true);
  });

  it('sortKeysDeep orders keys for deterministic files', () => {
    expect(JSON.stringify(sortKeysDeep({ b: 1, a: { d: 1, c: 2 } }))).toBe('{"a":{"c":2,"d":1},"b":1}');
  });
});

import { describe, it, expect } from 'vitest';
import { canonicalJson, sortKeysDeep } from '../../src/core/json.js';
import { stripJsonFence, describeOutputErrors } from '../../src/sdk/output.js';
import { entryDigest } from '../../src/sdk/bundle-format.js';
import type { ErrorObject } from 'ajv';

describe('canonical JSON', () => {
  it('sorts keys at every level and ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
  it('drops undefined members and writes non-finite numbers as null', () => {
    expect(canonicalJson({ a: undefined, b: NaN, c: null })).toBe('{"b":null,"c":null}');
  });
  it('sortKeysDeep keeps arrays in order', () => {
    expect(JSON.stringify(sortKeysDeep({ b: [{ y: 1, x: 2 }], a: 1 }))).toBe('{"a":1,"b":[{"x":2,"y":1}]}');
  });
  it('the entry digest changes with any runtime field and not with key order', () => {
    const e = { id: 'a', version: '1.0.0', sha256: 'f'.repeat(64), model: { provider: 'p', name: 'n', parameters: { t: 1 } }, inputs: null, output: null, messages: [{ role: 'user' as const, content: 'hi' }] };
    const d = entryDigest(e);
    expect(entryDigest({ ...e, model: { parameters: { t: 1 }, name: 'n', provider: 'p' } })).toBe(d);
    expect(entryDigest({ ...e, model: { ...e.model, parameters: { t: 2 } } })).not.toBe(d);
    expect(entryDigest({ ...e, messages: [{ role: 'user', content: 'hi!' }] })).not.toBe(d);
    expect(entryDigest({ ...e, version: '1.0.1' })).not.toBe(d);
    expect(entryDigest({ ...e, inputs: { type: 'object' } })).not.toBe(d);
  });
});

describe('reply parsing helpers', () => {
  it('strips a whole ```json fence', () => {
    expect(stripJsonFence('```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(stripJsonFence('  ```\n[1]\n```  ')).toBe('[1]');
  });
  it('finds a ```json block inside prose', () => {
    expect(stripJsonFence('Here you go:\n```json\n{"a":1}\n```\nThanks')).toBe('{"a":1}');
  });
  it('leaves unfenced text as trimmed text', () => {
    expect(stripJsonFence('  {"a":1}\n')).toBe('{"a":1}');
  });
  it('words schema errors per field', () => {
    const errs = [
      { instancePath: '', keyword: 'required', params: { missingProperty: 'category' }, schemaPath: '', message: 'x' },
      { instancePath: '/meta', keyword: 'additionalProperties', params: { additionalProperty: 'x' }, schemaPath: '' },
      { instancePath: '/category', keyword: 'enum', params: { allowedValues: ['a', 'b'] }, schemaPath: '' },
      { instancePath: '/n', keyword: 'type', params: {}, schemaPath: '', message: 'must be number' },
    ] as ErrorObject[];
    expect(describeOutputErrors(errs)).toEqual([
      { field: 'category', message: 'missing required field "category"' },
      { field: 'meta.x', message: 'unexpected field "meta.x" (not in the output schema)' },
      { field: 'category', message: 'field "category" must be one of "a", "b"' },
      { field: 'n', message: 'field "n" must be number' },
    ]);
  });
});

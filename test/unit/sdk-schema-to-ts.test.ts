import { describe, it, expect } from 'vitest';
import { convert, propertyKey } from '../../src/sdk/schema-to-ts.js';
import { generateTypes, typeBaseName } from '../../src/sdk/types-gen.js';

describe('JSON Schema → TypeScript', () => {
  it('maps primitive types', () => {
    expect(convert({ type: 'string' })).toBe('string');
    expect(convert({ type: 'integer' })).toBe('number');
    expect(convert({ type: 'number' })).toBe('number');
    expect(convert({ type: 'boolean' })).toBe('boolean');
    expect(convert({ type: 'null' })).toBe('null');
  });

  it('falls back to unknown for true, {}, unsupported keywords and non-schemas', () => {
    expect(convert(true)).toBe('unknown');
    expect(convert({})).toBe('unknown');
    expect(convert({ $ref: '#/$defs/x' })).toBe('unknown');
    expect(convert({ not: { type: 'string' } })).toBe('unknown');
    expect(convert('string')).toBe('unknown');
    expect(convert({ type: 'wat' })).toBe('unknown');
    expect(convert(false)).toBe('never');
  });

  it('turns enum and const into literal unions', () => {
    expect(convert({ type: 'string', enum: ['free', 'pro'] })).toBe('"free" | "pro"');
    expect(convert({ enum: [1, 'a', null, true] })).toBe('1 | "a" | null | true');
    expect(convert({ const: 'x' })).toBe('"x"');
    expect(convert({ const: { a: [1] } })).toBe('{"a":[1]}');
    expect(convert({ enum: [] })).toBe('never');
  });

  it('handles type arrays and nullable', () => {
    expect(convert({ type: ['string', 'null'] })).toBe('string | null');
    expect(convert({ type: 'string', nullable: true })).toBe('string | null');
    expect(convert({ type: ['integer', 'number'] })).toBe('number');
  });

  it('builds object types with required and optional properties and doc comments', () => {
    const t = convert({
      type: 'object',
      required: ['ticket'],
      properties: { ticket: { type: 'string', description: 'the text' }, 'customer-tier': { enum: ['a'] } },
      additionalProperties: false,
    });
    expect(t).toBe('{\n  /** the text */\n  ticket: string;\n  "customer-tier"?: "a";\n}');
  });

  it('indents nested objects and adds an index signature for additionalProperties', () => {
    const t = convert({ type: 'object', properties: { user: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } }, additionalProperties: true });
    expect(t).toBe('{\n  user?: {\n    name: string;\n  };\n  [key: string]: unknown;\n}');
  });

  it('maps property-less objects to records', () => {
    expect(convert({ type: 'object' })).toBe('Record<string, unknown>');
    expect(convert({ type: 'object', additionalProperties: false })).toBe('Record<string, never>');
    expect(convert({ type: 'object', additionalProperties: { type: 'number' } })).toBe('Record<string, number>');
  });

  it('maps arrays, tuples and unions of item types', () => {
    expect(convert({ type: 'array', items: { type: 'string' } })).toBe('string[]');
    expect(convert({ type: 'array', items: { type: ['string', 'number'] } })).toBe('Array<string | number>');
    expect(convert({ type: 'array' })).toBe('unknown[]');
    expect(convert({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], items: false })).toBe('[string, number]');
    expect(convert({ type: 'array', prefixItems: [{ type: 'string' }], items: { type: 'boolean' } })).toBe('[string, ...boolean[]]');
  });

  it('maps anyOf/oneOf to unions and allOf to intersections', () => {
    expect(convert({ anyOf: [{ type: 'string' }, { type: 'number' }] })).toBe('string | number');
    expect(convert({ oneOf: [{ const: 'a' }, { const: 'b' }] })).toBe('"a" | "b"');
    expect(convert({ allOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'object', properties: { b: { type: 'number' } } }] })).toBe(
      '{\n  a?: string;\n} & {\n  b?: number;\n}',
    );
    // members that add no type information do not widen the base type
    expect(convert({ type: 'string', anyOf: [{ minLength: 1 }, { maxLength: 3 }] })).toBe('string');
  });

  it('stops at a depth limit instead of recursing forever', () => {
    let s: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 40; i++) s = { type: 'array', items: s };
    expect(convert(s)).toContain('unknown');
  });

  it('escapes comment terminators in descriptions and quotes odd keys', () => {
    const t = convert({ type: 'object', properties: { a: { type: 'string', description: 'x */ y' } } });
    expect(t).toContain('/** x *\\/ y */');
    expect(propertyKey('a b')).toBe('"a b"');
    expect(propertyKey('$ok_1')).toBe('$ok_1');
  });
});

describe('generated types file', () => {
  it('names types after ids', () => {
    expect(typeBaseName('support/triage')).toBe('SupportTriage');
    expect(typeBaseName('a/b-c.d_e')).toBe('ABCDE');
    expect(typeBaseName('1st/x')).toBe('P1stX');
  });

  it('writes inputs/output types and a PromptMap augmentation, sorted by id, with unique names', () => {
    const g = generateTypes(
      [
        { id: 'support/triage', version: '1.2.0', description: 'Triage */ it', inputs: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' } } }, output: { format: 'json', schema: { type: 'object', properties: { category: { type: 'string' } } } } },
        { id: 'support-triage', version: '1.0.0', inputs: null, output: null },
        { id: 'json/free', version: '0.1.0', inputs: { type: 'string' }, output: { format: 'json' } },
      ],
      'test',
    );
    expect(g.prompts.map((p) => [p.id, p.inputs, p.output])).toEqual([
      ['json/free', 'JsonFreeInputs', 'JsonFreeOutput'],
      ['support-triage', 'SupportTriageInputs', 'SupportTriageOutput'],
      ['support/triage', 'SupportTriage2Inputs', 'SupportTriage2Output'],
    ]);
    expect(g.text).toContain('export interface SupportTriage2Inputs {\n  ticket: string;\n}');
    expect(g.text).toContain('export type SupportTriageInputs = Record<string, never>;');
    expect(g.text).toContain('export type SupportTriageOutput = string;');
    expect(g.text).toContain('export type JsonFreeInputs = string;');
    expect(g.text).toContain('export type JsonFreeOutput = unknown;');
    expect(g.text).toContain('Triage *\\/ it');
    expect(g.text).toContain(`declare module 'promptrail' {\n  interface PromptMap {\n    "json/free": { version: "0.1.0"; inputs: JsonFreeInputs; output: JsonFreeOutput };`);
  });

  it('is a module without an augmentation when there are no prompts', () => {
    const g = generateTypes([], 'nothing');
    expect(g.text).toContain('export {};');
    expect(g.text).not.toContain('declare module');
  });
});

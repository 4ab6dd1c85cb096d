/**
 * The fast paths of `prompts validate` give exactly what the slow paths they stand in for give.
 */
import { describe, it, expect } from 'vitest';
import { createRequire } from 'node:module';
import { simpleSatisfies, safeSatisfies } from '../../src/validate/phase-suites.js';
import { scanTemplate } from '../../src/validate/template-scan.js';
import { parseTemplate, templateVariables } from '../../src/core/template.js';

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

describe('scanTemplate (template variables without the Handlebars parser)', () => {
  /** a tiny deterministic PRNG so failures reproduce */
  const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const slow = (text: string) => {
    const parsed = parseTemplate(text);
    return 'problem' in parsed ? { problem: parsed.problem } : { vars: templateVariables(parsed.ast) };
  };
  const pieces = [
    'Hello ', 'text\n', '  indented\n', 'é ünïcode ', '}} stray ', '{ single ', '\n\n', '\t', 'a\r\nb', '\\{{escaped}}',
    '{{name}}', '{{ name }}', '{{ticket}}', '{{customer_tier}}', '{{x1}}', '{{_under}}', '{{name  }}',
    '{{#if name}}', '{{#if  tier }}', '{{#unless flag}}', '{{else}}', '{{ else }}', '{{/if}}', '{{/unless}}', '{{/if }}',
    // forms the scanner leaves to the parser
    '{{this}}', '{{true}}', '{{a.b}}', '{{{raw}}}', '{{~name}}', '{{name~}}', '{{! note }}', '{{> partial}}', '{{#each items}}', '{{/each}}',
    '{{json name}}', '{{#if (json x)}}', '{{@root.name}}', '{{../up}}', '{{#with obj}}', '{{/with}}', '{{else if x}}', '{{', '}}', '{{#if}}',
    '{{lookup a b}}', '{{"str"}}', '{{ 12 }}', '{{#if else}}', '{{unknown-helper x}}', '{{na me}}',
    // bare helper names are helper calls, not variables
    '{{if}}', '{{ json }}', '{{each}}', '{{with}}', '{{unless}}', '{{helperMissing}}', '{{blockHelperMissing}}', '{{#if if}}', '{{#unless json}}', '{{log}}', '{{lookup}}',
  ];
  it('gives exactly the parser\'s variables and positions whenever it answers, and answers the common templates', () => {
    const next = rng(42);
    let answered = 0;
    for (let n = 0; n < 4000; n++) {
      let text = '';
      const len = 1 + Math.floor(next() * 12);
      for (let k = 0; k < len; k++) text += pieces[Math.floor(next() * (n % 2 ? 25 : pieces.length))]!;
      const fast = scanTemplate(text);
      if (fast === null) continue;
      answered++;
      expect({ text, r: { vars: fast } }).toEqual({ text, r: slow(text) });
    }
    expect(answered).toBeGreaterThan(300);
    // well-formed nestings (the templates people write), with positions over many lines
    const names = ['ticket', 'tier', 'customer_tier', 'x', 'locale', '_a1'];
    const text = ['Hi ', 'line\n', '  two\n', 'ü ', ' } ', ' { ', '\n'];
    const pick = <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)]!;
    const gen = (depth: number): string => {
      let out = '';
      const n = 1 + Math.floor(next() * 5);
      for (let k = 0; k < n; k++) {
        const r = next();
        if (r < 0.35) out += pick(text);
        else if (r < 0.7) out += `{{${pick(['', ' '])}${pick(names)}${pick(['', ' '])}}}`;
        else if (depth < 3) {
          const h = pick(['if', 'unless']);
          out += `{{#${h}${pick([' ', '  '])}${pick(names)}}}${gen(depth + 1)}${next() < 0.4 ? `{{else}}${gen(depth + 1)}` : ''}{{/${h}}}`;
        }
      }
      return out;
    };
    for (let n = 0; n < 2000; n++) {
      const t = gen(0);
      const fast = scanTemplate(t);
      expect({ t, answered: fast !== null }).toEqual({ t, answered: true });
      expect({ t, r: { vars: fast } }).toEqual({ t, r: slow(t) });
    }
  });

  it('answers the templates the generated registries use', () => {
    const t = 'Ticket: {{ticket}}\n{{#if customer_tier}}Tier: {{customer_tier}}{{/if}}\n{{#if locale}}Extra: {{locale}}{{/if}}\nRevision 3.\n';
    expect(scanTemplate(t)).toEqual(slow(t).vars);
    expect(scanTemplate('no mustaches at all')).toEqual([]);
    expect(scanTemplate('{{#if a}}x')).toBeNull();
    expect(scanTemplate('{{#if a}}x{{/unless}}')).toBeNull();
  });
});

describe('fast-yaml: one reading — the fast path reads every scalar as the careful yaml path does, or leaves it to it', () => {
  it('over numbers, booleans, nulls, specials, near-misses and plain text, as values and keys', async () => {
    const { fastParse } = await import('../../src/validate/fast-yaml.js');
    const { parseYaml } = await import('../../src/registry/yaml.js');
    const seeds = ['0', '-0', '+0', '00', '007', '0x1F', '0xg', '0o17', '0o8', '0b101', '0b2', '1_000', '_1', '1_', '12', '-12', '+12', '1.5', '-1.5', '.5', '-.5', '+.5',
      '1e3', '1E-3', '1.2e+3', '1.', '.', '..', '-', '+', '.inf', '-.inf', '+.Inf', '.INF', '.nan', '.NaN', '.NAN', '.Nan', 'inf', 'nan', 'true', 'True', 'TRUE', 'tRUE',
      'false', 'False', 'FALSE', 'no', 'yes', 'on', 'null', 'Null', 'NULL', 'nUll', '~', '~~', 'nul', 'nulls', '', 'abc', 'gpt-4o-mini', '2026-11-20', '12:30', '1,000',
      '9007199254740993', '1e400', '-1e400', '0.0', '-0.0', 'x1', ' 1'];
    const docs: string[] = [];
    for (const s of seeds) {
      docs.push(`v: ${s}\n`, `${s || "''"}: v\n`, `l: [${s}]\n`);
      docs.push(`f: { a: ${s} }\n`);
    }
    let fast = 0;
    for (const doc of docs) {
      const b = fastParse(doc);
      if (b === null) continue; // left to the careful path: one reading by construction
      fast++;
      const careful = parseYaml(doc);
      expect(careful.issues, doc).toEqual([]);
      // Object.is semantics: NaN equals NaN, -0 differs from 0
      expect(b, doc).toStrictEqual(careful.value);
    }
    expect(fast).toBeGreaterThan(docs.length / 2);
  });
});

describe('json-schema: the plain subset is valid by construction', () => {
  it('every schema the keyword check accepts is one ajv validates against the meta-schema and compiles; the rest go to ajv', async () => {
    const { jsonSchemaProblem } = await import('../../src/validate/json-schema.js');
    const { plainSchema } = await import('../../src/core/plain-schema.js');
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const addFormats = (await import('ajv-formats')).default as unknown as (a: InstanceType<typeof Ajv2020>) => void;
    const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, logger: false });
    addFormats(ajv);
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;
    const values: unknown[] = [0, 1, -1, 2.5, 20000, 0.5, '', 'x', 'object', 'strng', true, false, null, [], ['a'], ['a', 'a'], {}, { type: 'string' }, [1, 'b'], Infinity];
    const keys = ['type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'default', 'examples', 'description', 'title', 'format', 'minLength', 'maxLength',
      'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'uniqueItems', 'pattern', '$ref', 'anyOf', 'nullable'];
    const gen = (depth: number): unknown => {
      if (depth > 2 || rnd(6) === 0) return pick([true, false, {}, { type: 'string' }]);
      const s: Record<string, unknown> = {};
      for (let i = rnd(5); i >= 0; i--) {
        const k = pick(keys);
        if (k === 'properties') s[k] = Object.fromEntries(Array.from({ length: rnd(3) }, (_, j) => [`p${j}`, gen(depth + 1)]));
        else if (k === 'items' || k === 'additionalProperties') s[k] = gen(depth + 1);
        else if (k === 'type') s[k] = pick(['object', 'string', 'integer', 'strng', ['string', 'null'], [], ['string', 'string'], 3]);
        else if (k === 'required') s[k] = pick([['a'], ['a', 'b'], ['a', 'a'], [], [1], 'a']);
        else s[k] = pick(values);
      }
      return s;
    };
    let plain = 0;
    for (let i = 0; i < 20000; i++) {
      const s = gen(0);
      if (!plainSchema(s)) continue;
      plain++;
      const ok = ajv.validateSchema(s as object);
      expect(ok, JSON.stringify(s)).toBe(true);
      expect(() => ajv.compile(s as object), JSON.stringify(s)).not.toThrow();
      expect(jsonSchemaProblem(s)).toBeNull();
    }
    expect(plain).toBeGreaterThan(1000);
    // the schemas prompts usually declare take the plain path
    expect(plainSchema({ type: 'object', required: ['ticket'], properties: { ticket: { type: 'string', minLength: 1, maxLength: 20000 }, tier: { type: 'string', enum: ['free', 'pro'] } }, additionalProperties: false })).toBe(true);
    expect(plainSchema({ type: 'object', properties: { x: { $ref: '#/$defs/x' } } })).toBe(false);
  });
});

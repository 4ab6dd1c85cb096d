import { describe, it, expect, beforeAll } from 'vitest';
import { checkFile, checkText, loadSlowPath, type CheckContext } from '../../src/validate/checks/index.js';
import { promptYaml } from '../helpers/registry.js';
import { writtenEnv } from '../helpers/env-pins.js';

const ctx: CheckContext = { providers: ['openai', 'offline'], environments: ['development', 'staging', 'production'], promptsDir: 'prompts' };
const P = 'prompts/support/triage/1.0.0.yaml';

const byPos = <T extends { line: number; column: number }>(l: T[]): T[] => [...l].sort((a, b) => a.line - b.line || a.column - b.column);
function prompt(text: string, rel = P) {
  return byPos(checkText('prompt', rel, text, ctx).problems);
}
const rules = (list: { rule: string }[]): string[] => list.map((p) => p.rule);

const GOOD = promptYaml('support/triage', '1.0.0');
beforeAll(() => loadSlowPath());

describe('validate: prompt version files', () => {
  it('a valid version file has no problems', () => {
    expect(prompt(GOOD)).toEqual([]);
  });

  it('unknown top-level key with did-you-mean at the key position', () => {
    const p = prompt(GOOD.replace('description:', 'descripton:'));
    expect(p).toEqual([expect.objectContaining({ rule: 'schema-unknown-key', line: 3, column: 1, severity: 'error' })]);
    expect(p[0]!.message).toMatch(/unknown key "descripton".*did you mean "description"\?/);
  });

  it('schema errors point at the YAML line of the instancePath', () => {
    const p = prompt(GOOD.replace('name: echo-1', 'name: 42').replace('created: 2026-11-20', 'created: yesterday'));
    expect(p).toEqual([
      expect.objectContaining({ rule: 'schema-invalid', line: 5, column: 10, message: expect.stringMatching(/RFC 3339 date/) }),
      expect.objectContaining({ rule: 'schema-invalid', line: 11, column: 9, message: '"model.name" must be a string' }),
    ]);
  });

  it('both template and messages is one clear problem, not three ajv errors', () => {
    const p = prompt(GOOD.replace('messages:', 'template: "Hi {{ticket}}"\nmessages:'));
    expect(rules(p)).toEqual(['template-or-messages']);
    expect(p[0]).toMatchObject({ line: 20, column: 1 });
  });

  it('neither template nor messages is one problem', () => {
    const text = GOOD.slice(0, GOOD.indexOf('messages:'));
    const p = prompt(text);
    expect(rules(p)).toEqual(['template-or-messages']);
    expect(p[0]!.message).toMatch(/needs its text/);
  });

  it('id must equal the folder and version the file name', () => {
    const p = prompt(GOOD.replace('id: support/triage', 'id: support/other').replace('version: 1.0.0', 'version: 1.0.1'));
    expect(p).toEqual([
      expect.objectContaining({ rule: 'id-mismatch', line: 1, column: 5, message: expect.stringMatching(/expected "support\/triage"/) }),
      expect.objectContaining({ rule: 'version-mismatch', line: 2, column: 10, message: expect.stringMatching(/expected "1\.0\.0"/) }),
    ]);
  });

  it('an upper-case folder is an invalid id', () => {
    const p = prompt(GOOD.replace('id: support/triage', 'id: Support/triage'), 'prompts/Support/triage/1.0.0.yaml');
    expect(rules(p)).toEqual(['schema-invalid', 'id-invalid']);
    expect(p[1]!.message).toMatch(/folder "Support\/triage" is not a valid prompt id: upper case/);
  });

  it('unknown provider with did-you-mean; "constructor" is not a provider', () => {
    expect(prompt(GOOD.replace('provider: offline', 'provider: ofline'))).toEqual([
      expect.objectContaining({ rule: 'provider-unknown', line: 10, column: 13, message: expect.stringMatching(/did you mean "offline"/) }),
    ]);
    expect(rules(prompt(GOOD.replace('provider: offline', 'provider: constructor')))).toEqual(['provider-unknown']);
  });

  it('undeclared variables are errors at their place inside a block scalar', () => {
    const p = prompt(GOOD.replace('Ticket: {{ticket}}', 'Ticket: {{tiket}}'));
    expect(p).toEqual([
      expect.objectContaining({ rule: 'input-unused', severity: 'warning', line: 15, column: 14 }),
      expect.objectContaining({ rule: 'input-undeclared', line: 25, column: 17, message: expect.stringMatching(/"tiket".*did you mean "ticket"/) }),
    ]);
  });

  it('required inputs never used are a warning', () => {
    const p = prompt(GOOD.replace('required: [ticket]', 'required: [ticket, customer_tier]').replace('Ticket: {{ticket}}', 'Ticket:'));
    expect(p.map((x) => [x.rule, x.severity, x.line, x.column])).toEqual([
      ['input-unused', 'warning', 15, 14],
    ]);
    expect(p[0]!.message).toMatch(/"ticket" is never used/);
  });

  it('template syntax errors map into plain, quoted and folded scalars', () => {
    const base = GOOD.slice(0, GOOD.indexOf('messages:'));
    const plain = prompt(`${base}template: Hello {{#if ticket}}open\n`);
    expect(plain).toEqual([expect.objectContaining({ rule: 'template-syntax', line: 20, message: expect.stringMatching(/missing \{\{\/…\}\}/) })]);
    const quoted = prompt(`${base}template: "Hi {{ticket}} {{helper ticket}}"\n`);
    expect(quoted).toEqual([expect.objectContaining({ rule: 'template-unknown-helper', line: 20, column: 26 })]);
    const folded = prompt(`${base}template: >\n  Line one {{ticket}}\n  line two {{nope}}\n`);
    expect(folded).toEqual([expect.objectContaining({ rule: 'input-undeclared', line: 22, column: 14 })]);
    const partial = prompt(`${base}template: |\n  a\n  {{> other}}\n`);
    expect(partial).toEqual([expect.objectContaining({ rule: 'partial-undeclared', line: 22, column: 3 })]);
    const block = prompt(`${base}template: |\n  a\n  {{#> other}}x{{/other}}\n`);
    expect(block).toEqual([expect.objectContaining({ rule: 'template-partial', line: 22, column: 3 })]);
  });

  it('inputs must be an object schema and a valid JSON Schema; so must output.schema', () => {
    const p = prompt(GOOD.replace('  type: object\n  required: [ticket]', '  type: string\n  required: [ticket]').replace('ticket: { type: string, minLength: 1 }', 'ticket: { type: strng, minLength: 1 }'));
    expect(rules(p)).toEqual(expect.arrayContaining(['inputs-not-object', 'inputs-invalid-schema']));
    const out = prompt(GOOD.replace('messages:', 'output:\n  format: json\n  schema: { type: object, properties: { a: { type: 12 } } }\nmessages:'));
    expect(out).toEqual([expect.objectContaining({ rule: 'output-schema-invalid', line: 22, column: 11 })]);
  });
});

describe('validate: bad input never crashes', () => {
  const cases: [string, string | Buffer, string, number, number][] = [
    ['malformed YAML', 'id: a\nmodel: [unclosed\n', 'yaml-syntax', 3, 1],
    ['duplicate keys', 'id: a\nid: b\n', 'yaml-duplicate-key', 2, 1],
    ['__proto__ key', 'id: a\n__proto__: { polluted: true }\n', 'yaml-unsafe-key', 2, 1],
    ['empty file', '', 'file-empty', 1, 1],
    ['only white space', '  \n\n', 'file-empty', 1, 1],
    ['binary', Buffer.from([0x69, 0x64, 0x00, 0x01]), 'file-binary', 1, 1],
    ['non-UTF-8', Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), 'file-encoding', 1, 1],
    ['over 1 MiB', `id: a\ndescription: "${'x'.repeat(1024 * 1024)}"\n`, 'file-too-large', 1, 1],
    ['git conflict markers', `${GOOD.slice(0, 35)}\n<<<<<<< HEAD\nx: 1\n=======\nx: 2\n>>>>>>> branch\n`, 'conflict-marker', 4, 1],
    ['git conflict markers with CRLF line endings', 'id: a\r\n<<<<<<< HEAD\r\nx: 1\r\n=======\r\nx: 2\r\n>>>>>>> b\r\n', 'conflict-marker', 2, 1],
    ['a list at the top level', '- a\n- b\n', 'yaml-not-mapping', 1, 1],
    ['two documents', 'id: a\n---\nid: b\n', 'yaml-multi-document', 2, 1],
  ];
  it.each(cases)('%s', (_name, content, rule, line, column) => {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const p = checkFile('prompt', P, bytes, ctx).problems;
    expect(p[0]).toMatchObject({ rule, line, column, severity: 'error' });
  });

  it('an alias bomb stops at the alias limit in bounded time', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 12; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    const p = checkFile('prompt', P, Buffer.from(bomb), ctx).problems;
    expect(rules(p)).toEqual(['yaml-alias-limit']);
  });

  it('__proto__ and constructor keys do not pollute Object.prototype', () => {
    checkFile('prompt', P, Buffer.from('__proto__: { polluted: 1 }\nconstructor: { prototype: { polluted: 1 } }\n'), ctx);
    checkFile('suite', 'prompts/support/triage/evals.yaml', Buffer.from('cases:\n  - name: a\n    vars: { __proto__: { polluted: 1 } }\n'), ctx);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('validate: eval suites', () => {
  const S = 'prompts/support/triage/evals.yaml';
  const suite = (t: string) => byPos(checkText('suite', S, t, ctx).problems);
  it('a valid suite passes', () => {
    expect(suite('defaults:\n  assert:\n    - { type: latency, max_ms: 5000 }\ncases:\n  - name: a\n    versions: ">=1.2.0"\n    vars: { ticket: x }\n    assert:\n      - { type: contains, value: x }\n')).toEqual([]);
  });
  it('unknown assertion types with did-you-mean, bad ranges, duplicate names, bad regex, missing fields', () => {
    const p = suite(
      'cases:\n  - name: a\n    versions: ">=1.x.foo"\n    assert:\n      - { type: containz, value: x }\n      - { type: regex, pattern: "([" }\n  - name: a\n    assert:\n      - { type: length }\n      - { type: contains }\n      - { type: llm-rubric, rubric: ok, provider: nope }\n',
    );
    expect(p.map((x) => [x.rule, x.line, x.column])).toEqual([
      ['suite-versions-range', 3, 15],
      ['assertion-type-unknown', 5, 17],
      ['suite-regex-invalid', 6, 33],
      ['suite-duplicate-case', 7, 11],
      ['schema-invalid', 9, 9],
      ['schema-missing-key', 10, 9],
      ['provider-unknown', 11, 51],
    ]);
    expect(p[1]!.message).toMatch(/did you mean "contains"/);
    expect(p[4]!.message).toMatch(/needs one of "min" or "max"/);
    expect(p.filter((x) => x.rule === 'schema-invalid')).toHaveLength(1);
    expect(p[5]!.message).toMatch(/assertion "contains" .* needs "value"/);
  });
});

describe('validate: environment files and config', () => {
  const E = 'environments/production.yaml';
  // as promptrail writes it (a chained history), without the header comment; a bad sha256 by hand
  const pin = (sha: string) =>
    /^[0-9a-f]{64}$/.test(sha)
      ? writtenEnv('production', { 'support/triage': { version: '1.0.0', sha256: sha } }).split('\n').slice(1).join('\n')
      : `environment: production\nprompts:\n  support/triage:\n    version: 1.0.0\n    sha256: ${sha}\n    previous: null\n    promoted_at: 2026-11-22T10:04:11Z\n    promoted_by: Ana <ana@example.com>\n    history: []\n`;
  it('collects pins from a valid file', () => {
    const out = checkText('environment', E, pin('a'.repeat(64)), ctx);
    expect(out.problems).toEqual([]);
    expect(out.pins).toEqual([{ id: 'support/triage', version: '1.0.0', sha256: 'a'.repeat(64), previous: null }]);
  });
  it('a pin no promptrail command wrote is env-history-tampered, named by the edit, and its sha256 is not a fact', () => {
    const text = pin('a'.repeat(64)).replace(`sha256: ${'a'.repeat(64)}\n`, `sha256: ${'b'.repeat(64)}\n`);
    const out = checkText('environment', E, text, ctx);
    expect(out.problems.map((p) => `${p.line}:${p.column} ${p.rule}`)).toEqual(['5:13 env-history-tampered']);
    expect(out.problems[0]!.message).toMatch(/^support\/triage: the pin's sha256 is b{64}, but its newest history entry \(promote none -> 1\.0\.0 at .*\) recorded a{64}: the pin was edited by hand; restore the file promptrail wrote/);
    expect(out.pins).toEqual([{ id: 'support/triage', version: '1.0.0', sha256: 'b'.repeat(64), previous: null, tampered: true }]);
    // a history written before chains: one warning for the file
    const legacy = checkText('environment', E, text.replace(/, digest: [0-9a-f]{64}/, '').replace(`sha256: ${'b'.repeat(64)}\n`, `sha256: ${'a'.repeat(64)}\n`), ctx);
    expect(legacy.problems.map((p) => `${p.severity} ${p.rule}`)).toEqual(['warning env-history-unchained']);
  });
  it('environment must equal the file name and be declared in the config', () => {
    const p = checkText('environment', 'environments/productin.yaml', pin('a'.repeat(64)), ctx).problems;
    expect(p.map((x) => [x.rule, x.line])).toEqual([
      ['env-name-mismatch', 1],
      ['env-undeclared', 1],
    ]);
    expect(p[1]!.message).toMatch(/did you mean "production"/);
  });
  it('a pin with an invalid id is a schema problem and never becomes a path', () => {
    const out = checkText('environment', E, pin('a'.repeat(64)).replace('support/triage:', '"../../etc":'), ctx);
    expect(out.problems.map((p) => p.rule)).toEqual(['schema-invalid']);
    expect(out.pins).toEqual([]);
  });
  it('a bad sha256 is a schema problem in words', () => {
    const p = checkText('environment', E, pin('xyz'), ctx).problems;
    expect(p).toEqual([expect.objectContaining({ rule: 'schema-invalid', line: 5, column: 13, message: expect.stringMatching(/sha256 digest/) })]);
  });
  it('config: unknown keys, unknown requires, cycles, unknown providers, dirs leaving the registry', () => {
    const p = byPos(checkText(
      'config',
      'prompts.config.yaml',
      'prompts_dir: ../elsewhere\nenvironmets: {}\nenvironments:\n  a: { requires: b }\n  b: { requires: a }\n  c: { requires: stagin, gate: { provider: nope } }\nproviders:\n  openai: { type: openai }\n',
      ctx,
    ).problems);
    expect(rules(p)).toEqual(['config-dir-invalid', 'schema-unknown-key', 'config-requires-cycle', 'config-requires-cycle', 'config-requires-unknown', 'provider-unknown']);
  });
});

describe('validate: user-written JSON Schemas', async () => {
  const { jsonSchemaProblem } = await import('../../src/validate/json-schema.js');
  it('accepts valid schemas, with local $refs and anchors', () => {
    expect(jsonSchemaProblem({ type: 'object', properties: { a: { $ref: '#/$defs/x' }, b: { $ref: '#y' } }, $defs: { x: { type: 'string', pattern: '^a+$' }, y: { $anchor: 'y', type: 'number' } } })).toBeNull();
  });
  it('rejects bad types, bad regular expressions and dangling references', () => {
    expect(jsonSchemaProblem({ type: 'object', properties: { a: { type: 'strng' } } })).toMatch(/schema\/properties\/a\/type must be equal to one of the allowed values/);
    expect(jsonSchemaProblem({ type: 'string', pattern: '([' })).toMatch(/pattern "\(\[" is not a valid regular expression/);
    expect(jsonSchemaProblem({ type: 'object', patternProperties: { '[': {} } })).toMatch(/patternProperties key/);
    expect(jsonSchemaProblem({ $ref: '#/$defs/missing' })).toMatch(/can't resolve reference #\/\$defs\/missing/);
    expect(jsonSchemaProblem({ $ref: 'https://example.com/remote.json' })).toMatch(/can't resolve reference|resolve/);
  });
});

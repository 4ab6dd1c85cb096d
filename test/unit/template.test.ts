import { describe, expect, it } from 'vitest';
import { compileTemplate, parseTemplate } from '../../src/core/template.js';

function problem(t: string): { line: number; column: number; message: string } {
  const r = parseTemplate(t);
  if (!('problem' in r)) throw new Error(`expected a problem in ${t}`);
  return r.problem;
}

describe('template syntax error positions', () => {
  it('point at the offending character even with more than 20 characters after it on the line', () => {
    const t = 'Greet {{name}}{{#if tone} in a {{tone}} tone{{/if}}. And a long tail of text here.';
    expect(problem(t)).toMatchObject({ line: 1, column: t.indexOf('} in') + 1, message: 'template syntax error: unexpected "}" inside {{ … }} (a mustache is closed with "}}")' });
  });

  it('on later lines, with long prefixes (cut context) and short templates', () => {
    const t = 'line one is here and long enough\nline two {{foo bar=}} and more text after it here';
    expect(problem(t)).toMatchObject({ line: 2, column: 'line two {{foo bar='.length + 1 });
    expect(problem('a {{name}')).toMatchObject({ line: 1, column: 9 });
    expect(problem('{{}}')).toMatchObject({ line: 1, column: 3 });
    const nested = 'x {{#if a}}\n{{#each b}}\n  hello {{c}} {{d}\n{{/each}}{{/if}} trailing words to make it long';
    expect(problem(nested)).toMatchObject({ line: 3, column: '  hello {{c}} {{d'.length + 1 });
  });

  it('an unclosed block is reported with its hint', () => {
    expect(problem('Hello {{#if ticket}}open\n').message).toMatch(/missing \{\{\/…\}\}/);
  });
});

describe('render-time errors', () => {
  it('a missing nested value names its place in the template', () => {
    const fn = compileTemplate('Hi {{customer.name}}\n  [{{customer.tier}}]');
    expect(fn({ customer: { name: 'A', tier: 'pro' } })).toBe('Hi A\n  [pro]');
    expect(() => fn({ customer: { name: 'A' } })).toThrow('the template uses "tier", which is not provided (template line 2, column 6; an optional value needs {{#if …}} around it)');
  });
});

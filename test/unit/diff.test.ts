import { describe, it, expect } from 'vitest';
import { diffPrompts, fieldChanges, textDiff } from '../../src/core/diff.js';
import { renderDiffText } from '../../src/cli/reporters/diff/text.js';
import { renderDiffMarkdown } from '../../src/cli/reporters/diff/markdown.js';
import { Chalk } from 'chalk';
import type { PromptFile } from '../../src/core/types.js';

const base: PromptFile = {
  id: 'support/triage',
  version: '1.0.0',
  description: 'Classify',
  model: { provider: 'openai', name: 'gpt-4o-mini', parameters: { temperature: 0.2 } },
  inputs: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' } } },
  output: { format: 'json', schema: { type: 'object', properties: { category: { type: 'string' } } } },
  messages: [
    { role: 'system', content: 'You triage tickets.' },
    { role: 'user', content: 'Ticket: {{ticket}}\nBe brief.\n' },
  ],
};
const next: PromptFile = {
  ...base,
  version: '1.1.0',
  model: { provider: 'openai', name: 'gpt-4o', parameters: { temperature: 0.1, max_tokens: 100 } },
  inputs: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' }, tier: { type: 'string', enum: ['free', 'pro'] } } },
  messages: [
    { role: 'system', content: 'You triage support tickets.' },
    { role: 'user', content: 'Ticket: {{ticket}}\nBe brief.\n' },
    { role: 'assistant', content: 'ok' },
  ],
};

describe('diffPrompts', () => {
  const d = diffPrompts(base, next);
  it('reports model and parameter changes by path', () => {
    expect(d.model).toEqual([
      { path: 'name', kind: 'changed', before: 'gpt-4o-mini', after: 'gpt-4o' },
      { path: 'parameters.temperature', kind: 'changed', before: 0.2, after: 0.1 },
      { path: 'parameters.max_tokens', kind: 'added', after: 100 },
    ]);
  });
  it('reports input schema changes and no output change', () => {
    expect(d.inputs).toEqual([
      { path: 'properties.tier.type', kind: 'added', after: 'string' },
      { path: 'properties.tier.enum', kind: 'added', after: ['free', 'pro'] },
    ]);
    expect(d.output).toEqual([]);
  });
  it('diffs each message as unified lines with word-level changes', () => {
    expect(d.messages.map((m) => m.status)).toEqual(['changed', 'unchanged', 'added']);
    const m1 = d.messages[0]!;
    expect(m1.unified).toBe('@@ -1,1 +1,1 @@\n-You triage tickets.\n+You triage support tickets.');
    const add = m1.hunks[0]!.lines.find((l) => l.type === 'add')!;
    expect(add.words!.filter((w) => w.added).map((w) => w.value.trim())).toEqual(['support']);
    expect(d.messages[2]!.unified).toBe('@@ -0,0 +1,1 @@\n+ok');
  });
  it('says which bump the change requires (same prompt)', () => {
    expect(d.requires?.level).toBe('minor');
  });
  it('requires no bump between a version and itself (environment overrides are configuration)', () => {
    expect(diffPrompts(base, { ...base, model: { ...base.model, parameters: { temperature: 0.9 } } }).requires).toBeNull();
  });
  it('identical versions', () => {
    expect(diffPrompts(base, base).identical).toBe(true);
  });
  it('a template prompt is one user message', () => {
    const t1: PromptFile = { id: 'x', version: '1.0.0', model: base.model, template: 'Hi {{a}}' };
    const t2: PromptFile = { ...t1, version: '1.0.1', template: 'Hello {{a}}' };
    const dd = diffPrompts(t1, t2);
    expect(dd.messages).toHaveLength(1);
    expect(dd.messages[0]).toMatchObject({ status: 'changed', roleBefore: 'user', roleAfter: 'user' });
  });
});

describe('fieldChanges', () => {
  it('whole sections added or removed read as one change', () => {
    expect(fieldChanges(undefined, { format: 'text' })).toEqual([{ path: '(all)', kind: 'added', after: { format: 'text' } }]);
    expect(fieldChanges({ format: 'text' }, undefined)).toEqual([{ path: '(all)', kind: 'removed', before: { format: 'text' } }]);
  });
});

describe('textDiff', () => {
  it('keeps context lines and hunks', () => {
    const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n');
    const b = a.replace('line 10', 'line ten');
    const { hunks } = textDiff(a, b);
    expect(hunks).toHaveLength(1);
    expect(hunks[0]!.lines.filter((l) => l.type === 'context')).toHaveLength(6);
  });
});

describe('reporters', () => {
  const d = diffPrompts(base, next);
  it('text without colors is plain unified diff', () => {
    const out = renderDiffText(d, new Chalk({ level: 0 }), false);
    expect(out).toContain('support/triage@1.0.0 -> support/triage@1.1.0');
    expect(out).toContain('  ~ name: "gpt-4o-mini" -> "gpt-4o"');
    expect(out).toContain('Message 1 (system) changed\n@@ -1,1 +1,1 @@\n-You triage tickets.\n+You triage support tickets.');
    expect(out).not.toContain('\u001b[');
  });
  it('text with colors highlights the changed words', () => {
    const out = renderDiffText(d, new Chalk({ level: 1 }), true);
    expect(out).toContain('\u001b[42m');
  });
  it('markdown has tables and diff fences, pipes escaped', () => {
    const md = renderDiffMarkdown(diffPrompts(base, { ...next, description: 'a | b' }));
    expect(md).toMatch(/^### Prompt diff: `support\/triage` 1\.0\.0 → 1\.1\.0/);
    expect(md).toContain('| `name` | `gpt-4o-mini` | `gpt-4o` |');
    expect(md).toContain('`a \\| b`');
    expect(md).toContain('```diff\n@@ -1,1 +1,1 @@\n-You triage tickets.\n+You triage support tickets.\n```');
    expect(md).toContain('Requires a **minor** version bump.');
  });
});

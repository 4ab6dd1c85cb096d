import { describe, expect, it } from 'vitest';
import { requiredBump, nextVersion, stepLevel, bumpSatisfies, releaseTypeFor, isReleaseType, maxLevel } from '../../src/core/semver-rules.js';
import type { PromptFile, JsonSchema } from '../../src/core/types.js';

function base(over: Partial<PromptFile> = {}): PromptFile {
  return {
    id: 'support/triage',
    version: '1.0.0',
    description: 'Classify a ticket',
    author: 'ana@example.com',
    created: '2026-11-20',
    changes: ['Initial'],
    tags: ['support'],
    model: { provider: 'openai', name: 'gpt-4o-mini', parameters: { temperature: 0.2 } },
    inputs: {
      type: 'object',
      required: ['ticket'],
      properties: {
        ticket: { type: 'string', minLength: 1, maxLength: 20000 },
        customer_tier: { type: 'string', enum: ['free', 'pro', 'enterprise'] },
      },
      additionalProperties: false,
    },
    output: { format: 'json', schema: { type: 'object', required: ['category'], properties: { category: { type: 'string', enum: ['billing', 'bug'] }, note: { type: 'string' } } } },
    messages: [
      { role: 'system', content: 'You triage.' },
      { role: 'user', content: 'Ticket: {{ticket}}' },
    ],
    ...over,
  };
}

const clone = <T>(x: T): T => structuredClone(x);

function withInputs(mut: (i: JsonSchema & { properties: Record<string, JsonSchema>; required: string[] }) => void): PromptFile {
  const p = base();
  const inputs = clone(p.inputs) as JsonSchema & { properties: Record<string, JsonSchema>; required: string[] };
  mut(inputs);
  return { ...p, inputs };
}

function withOutputSchema(mut: (s: JsonSchema & { properties: Record<string, JsonSchema>; required: string[] }) => void): PromptFile {
  const p = base();
  const schema = clone(p.output!.schema!) as JsonSchema & { properties: Record<string, JsonSchema>; required: string[] };
  mut(schema);
  return { ...p, output: { format: 'json', schema } };
}

describe('requiredBump: major', () => {
  it.each<[string, () => PromptFile | [PromptFile, PromptFile], string]>([
    ['an input is removed', () => withInputs((i) => delete i.properties.customer_tier), 'input "customer_tier" was removed'],
    ['an input is renamed', () => withInputs((i) => {
      i.properties.tier = i.properties.customer_tier!;
      delete i.properties.customer_tier;
    }), 'input "customer_tier" was renamed to "tier"'],
    ['a new required input', () => withInputs((i) => {
      i.properties.lang = { type: 'string' };
      i.required.push('lang');
    }), 'input "lang" was added as a required field'],
    ['an optional input becomes required', () => withInputs((i) => i.required.push('customer_tier')), 'input "customer_tier" is now required'],
    ['an enum value is removed', () => withInputs((i) => (i.properties.customer_tier!.enum = ['free', 'pro'])), 'input "customer_tier" no longer allows "enterprise"'],
    ['an input type changes', () => withInputs((i) => (i.properties.ticket = { type: 'number' })), 'input "ticket" changed type from string to number'],
    ['an input type is narrowed', () => withInputs((i) => (i.properties.ticket = { type: 'integer', minLength: 1, maxLength: 20000 })), 'input "ticket" changed type from string to integer'],
    ['a number input becomes integer', () => {
      const p = base({ inputs: { type: 'object', properties: { n: { type: 'number' } } } });
      return [p, { ...p, inputs: { type: 'object', properties: { n: { type: 'integer' } } } }];
    }, 'input "n" changed type from number to integer'],
    ['maxLength is tightened', () => withInputs((i) => (i.properties.ticket!.maxLength = 100)), 'input "ticket" tightened maxLength from 20000 to 100'],
    ['a pattern is added', () => withInputs((i) => (i.properties.ticket!.pattern = '^T')), 'input "ticket" gained pattern "^T"'],
    ['an enum is imposed', () => withInputs((i) => (i.properties.ticket = { type: 'string', enum: ['a'] })), 'input "ticket" now only allows "a"'],
    ['an unclassifiable keyword changes', () => withInputs((i) => (i.properties.ticket = { anyOf: [{ type: 'string' }] })), 'not provably compatible'],
    ['the output format changes', () => ({ ...base(), output: { format: 'text' } }), 'output format changed from json to text'],
    ['the output schema is removed', () => ({ ...base(), output: { format: 'json' } }), 'output schema was removed'],
    ['an output property is removed', () => withOutputSchema((s) => delete s.properties.note), 'output property "note" was removed'],
    ['an output property becomes required', () => withOutputSchema((s) => s.required.push('note')), 'output property "note" is now required'],
    ['an output property is added as required', () => withOutputSchema((s) => {
      s.properties.score = { type: 'number' };
      s.required.push('score');
    }), 'output property "score" was added as a required field'],
    ['an output property is no longer required', () => withOutputSchema((s) => (s.required = [])), 'output property "category" is no longer required'],
    ['an output enum is narrowed', () => withOutputSchema((s) => (s.properties.category!.enum = ['billing'])), 'output property "category" no longer allows "bug"'],
    ['an output type is narrowed', () => withOutputSchema((s) => (s.properties.note = { type: 'integer' })), 'output property "note" changed type from string to integer'],
    ['nested input property removed', () => {
      const p = base({ inputs: { type: 'object', properties: { user: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'number' } } } } } });
      return [p, { ...p, inputs: { type: 'object', properties: { user: { type: 'object', properties: { name: { type: 'string' } } } } } }];
    }, 'input "user.age" was removed'],
  ])('%s', (_name, make, reason) => {
    const made = make();
    const r = Array.isArray(made) ? requiredBump(made[0], made[1]) : requiredBump(base(), made);
    expect(r.level).toBe('major');
    expect(r.reasons.some((x) => x.includes(reason))).toBe(true);
  });

  it('adding additionalProperties: false is major', () => {
    const prev = withInputs((i) => delete i.additionalProperties);
    const r = requiredBump(prev, base());
    expect(r).toMatchObject({ level: 'major' });
    expect(r.reasons).toContain('the inputs schema no longer accepts undeclared fields (additionalProperties: false)');
  });

  it('declaring inputs on a prompt that had none only widens', () => {
    const prev = base({ inputs: undefined, messages: [{ role: 'user', content: 'hi' }] });
    const next = base({ inputs: { type: 'object', properties: { x: { type: 'string' } } }, messages: [{ role: 'user', content: 'hi' }] });
    expect(requiredBump(prev, next).level).toBe('minor');
  });

  it('removing every input from a prompt is major', () => {
    const next = base({ inputs: undefined });
    const r = requiredBump(base(), next);
    expect(r.level).toBe('major');
    expect(r.reasons).toContain('input "ticket" was removed');
  });

  it('lists the most severe reasons first and keeps every reason', () => {
    const next = withInputs((i) => {
      delete i.properties.customer_tier;
      i.properties.lang = { type: 'string' };
    });
    next.model = { ...next.model, name: 'gpt-4o' };
    const r = requiredBump(base(), next);
    expect(r.level).toBe('major');
    expect(r.findings.map((f) => f.level)).toEqual(['major', 'minor', 'patch']);
    expect(r.reasons).toEqual(['input "customer_tier" was removed', 'input "lang" was added (optional)', 'model changed from "gpt-4o-mini" to "gpt-4o"']);
  });
});

describe('requiredBump: minor', () => {
  it.each<[string, () => PromptFile | [PromptFile, PromptFile], string]>([
    ['a new optional input', () => withInputs((i) => (i.properties.lang = { type: 'string' })), 'input "lang" was added (optional)'],
    ['a required input becomes optional', () => withInputs((i) => (i.required = [])), 'input "ticket" is no longer required'],
    ['an enum is widened', () => withInputs((i) => (i.properties.customer_tier!.enum = ['free', 'pro', 'enterprise', 'trial'])), 'input "customer_tier" now also allows "trial"'],
    ['a type is widened', () => withInputs((i) => (i.properties.customer_tier = { type: ['string', 'null'], enum: ['free', 'pro', 'enterprise', null] })), 'input "customer_tier" widened type from string to string | null'],
    ['integer widened to number', () => {
      const p = base({ inputs: { type: 'object', properties: { n: { type: 'integer' } } } });
      return [p, { ...p, inputs: { type: 'object', properties: { n: { type: 'number' } } } }];
    }, 'input "n" widened type from integer to number'],
    ['additionalProperties: false is dropped', () => withInputs((i) => delete i.additionalProperties), 'the inputs schema now accepts undeclared fields'],
    ['a constraint is relaxed', () => withInputs((i) => (i.properties.ticket!.maxLength = 50000)), 'input "ticket" relaxed maxLength from 20000 to 50000'],
    ['a constraint is dropped', () => withInputs((i) => delete i.properties.ticket!.minLength), 'input "ticket" dropped minLength: 1'],
    ['an enum restriction is dropped', () => withInputs((i) => delete i.properties.customer_tier!.enum), 'input "customer_tier" no longer restricts its values to an enum'],
    ['a new optional output property', () => withOutputSchema((s) => (s.properties.score = { type: 'number' })), 'output property "score" was added (optional)'],
    ['an output enum widened', () => withOutputSchema((s) => (s.properties.category!.enum = ['billing', 'bug', 'other'])), 'output property "category" now also allows "other"'],
    ['an output schema added', () => ({ ...base(), output: undefined, messages: base().messages }), ''],
  ])('%s', (name, make, reason) => {
    if (name === 'an output schema added') {
      const prev = base({ output: { format: 'json' } });
      const r = requiredBump(prev, base());
      expect(r).toMatchObject({ level: 'minor', reasons: ['output schema was added'] });
      return;
    }
    const made = make();
    const r = Array.isArray(made) ? requiredBump(made[0], made[1]) : requiredBump(base(), made);
    expect(r.level).toBe('minor');
    expect(r.reasons).toContain(reason);
  });
});

describe('requiredBump: patch', () => {
  it.each<[string, Partial<PromptFile>, string]>([
    ['a message text changes', { messages: [{ role: 'system', content: 'You triage tickets.' }, { role: 'user', content: 'Ticket: {{ticket}}' }] }, 'message 1 (system) text changed'],
    ['a message role changes', { messages: [{ role: 'user', content: 'You triage.' }, { role: 'user', content: 'Ticket: {{ticket}}' }] }, 'message 1 changed role from system to user'],
    ['a message is added', { messages: [{ role: 'system', content: 'You triage.' }, { role: 'user', content: 'Ticket: {{ticket}}' }, { role: 'assistant', content: 'ok' }] }, 'the number of messages changed from 2 to 3'],
    ['messages become a template', { messages: undefined, template: 'Ticket: {{ticket}}' }, 'switched between "template" and "messages"'],
    ['the model changes', { model: { provider: 'openai', name: 'gpt-4o', parameters: { temperature: 0.2 } } }, 'model changed from "gpt-4o-mini" to "gpt-4o"'],
    ['the provider changes', { model: { provider: 'anthropic', name: 'gpt-4o-mini', parameters: { temperature: 0.2 } } }, 'model provider changed from "openai" to "anthropic"'],
    ['a parameter changes', { model: { provider: 'openai', name: 'gpt-4o-mini', parameters: { temperature: 0.5 } } }, 'model parameter temperature changed from 0.2 to 0.5'],
    ['a parameter is added', { model: { provider: 'openai', name: 'gpt-4o-mini', parameters: { temperature: 0.2, max_tokens: 10 } } }, 'model parameter max_tokens changed from (none) to 10'],
    ['the description changes', { description: 'New' }, 'description changed'],
    ['tags change', { tags: ['x'] }, 'tags changed'],
  ])('%s', (_n, over, reason) => {
    const r = requiredBump(base(), base(over));
    expect(r.level).toBe('patch');
    expect(r.reasons).toContain(reason);
  });

  it('a template text change is patch', () => {
    const prev = base({ messages: undefined, template: 'a {{ticket}}' });
    expect(requiredBump(prev, { ...prev, template: 'b {{ticket}}' })).toMatchObject({ level: 'patch', reasons: ['the template text changed'] });
  });

  it('input annotations (description, default, examples) are patch', () => {
    const next = withInputs((i) => {
      i.properties.ticket!.description = 'The ticket body';
      i.properties.customer_tier!.default = 'free';
    });
    expect(requiredBump(base(), next)).toMatchObject({ level: 'patch', reasons: ['input descriptions or annotations changed'] });
  });

  it('output annotations are patch', () => {
    const next = withOutputSchema((s) => (s.properties.note!.description = 'free text'));
    expect(requiredBump(base(), next)).toMatchObject({ level: 'patch', reasons: ['output annotations changed'] });
  });

  it('version, created, changes and id are ignored; identical content has no reasons', () => {
    expect(requiredBump(base(), base({ version: '1.1.0', created: '2026-12-01', changes: ['x'] }))).toEqual({ level: 'patch', reasons: [], findings: [] });
  });

  it('reordering enum values or required names is not a change', () => {
    const next = withInputs((i) => (i.properties.customer_tier!.enum = ['enterprise', 'free', 'pro']));
    expect(requiredBump(base(), next).findings.filter((f) => f.level !== 'patch')).toEqual([]);
  });

  it('absent output equals text output', () => {
    const prev = base({ output: undefined });
    expect(requiredBump(prev, base({ output: { format: 'text' } })).level).toBe('patch');
  });
});

describe('versions', () => {
  it.each<[string, Parameters<typeof nextVersion>[1], string | undefined, string]>([
    ['1.2.0', 'major', undefined, '2.0.0'],
    ['1.2.0', 'minor', undefined, '1.3.0'],
    ['1.2.0', 'patch', undefined, '1.2.1'],
    ['1.2.0', 'prerelease', 'rc', '1.2.1-rc.0'],
    ['1.2.1-rc.0', 'prerelease', 'rc', '1.2.1-rc.1'],
    ['1.2.0', 'prerelease', undefined, '1.2.1-rc.0'],
    ['1.2.0', 'premajor', 'beta', '2.0.0-beta.0'],
    ['1.2.0', 'preminor', undefined, '1.3.0-rc.0'],
    ['1.2.1-rc.1', 'patch', undefined, '1.2.1'],
    ['2.0.0-rc.0', 'major', undefined, '2.0.0'],
    ['1.2.1-beta.0', 'prerelease', undefined, '1.2.1-beta.1'],
    ['1.2.1-beta.0', 'prerelease', 'rc', '1.2.1-rc.0'],
    ['1.2.1-beta.0', 'premajor', undefined, '2.0.0-rc.0'],
  ])('%s %s (%s) → %s', (cur, type, preid, want) => {
    expect(nextVersion(cur, type, preid)).toBe(want);
  });

  it('knows the release types', () => {
    expect(isReleaseType('prerelease')).toBe(true);
    expect(isReleaseType('huge')).toBe(false);
    expect(maxLevel('minor', 'major')).toBe('major');
    expect(maxLevel('minor', 'patch')).toBe('minor');
  });

  it.each<[string, string, string | undefined]>([
    ['1.2.0', '2.0.0', 'major'],
    ['1.2.0', '1.3.0', 'minor'],
    ['1.2.0', '1.2.1', 'patch'],
    ['1.2.0', '2.0.0-rc.0', 'major'],
    ['1.2.0', '1.2.1-rc.0', 'patch'],
    ['2.0.0-rc.0', '2.0.0-rc.1', 'major'],
    ['1.3.0-rc.0', '1.3.0', 'minor'],
    ['1.2.1-rc.0', '1.2.1', 'patch'],
    ['0.2.0', '0.3.0', 'major'],
    ['0.2.0', '0.2.1', 'minor'],
    ['0.2.0', '1.0.0', 'major'],
    ['1.2.0', '1.2.0', undefined],
    ['1.2.0', '1.1.0', undefined],
  ])('step %s → %s is %s', (a, b, want) => {
    expect(stepLevel(a, b)).toBe(want);
  });

  it('bumpSatisfies compares the step with the required level', () => {
    expect(bumpSatisfies('1.2.0', '1.3.0', 'minor')).toBe(true);
    expect(bumpSatisfies('1.2.0', '1.3.0', 'major')).toBe(false);
    expect(bumpSatisfies('1.2.0', '2.0.0', 'patch')).toBe(true);
    expect(bumpSatisfies('1.2.0', '1.2.1', 'minor')).toBe(false);
    expect(bumpSatisfies('0.2.0', '0.3.0', 'major')).toBe(true);
    expect(bumpSatisfies('1.2.0', '1.0.0', 'patch')).toBe(false);
  });

  it('releaseTypeFor keeps 0.x in initial development', () => {
    expect(releaseTypeFor('1.2.0', 'major')).toBe('major');
    expect(releaseTypeFor('1.2.0', 'minor')).toBe('minor');
    expect(releaseTypeFor('0.3.0', 'major')).toBe('minor');
    expect(releaseTypeFor('0.3.0', 'minor')).toBe('patch');
    expect(bumpSatisfies('0.3.0', nextVersion('0.3.0', releaseTypeFor('0.3.0', 'major'))!, 'major')).toBe(true);
    expect(bumpSatisfies('0.3.0', nextVersion('0.3.0', releaseTypeFor('0.3.0', 'minor'))!, 'minor')).toBe(true);
  });
});

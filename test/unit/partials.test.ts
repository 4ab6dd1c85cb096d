import { describe, it, expect } from 'vitest';
import { resolveDocument, resolvedPrompt, mergeExtends, parseVersionRef, MAX_EXTENDS_DEPTH, type DocLoader, type VersionDoc } from '../../src/core/resolve.js';
import { MAX_PARTIAL_DEPTH } from '../../src/core/partials.js';
import { compilePrompt } from '../../src/core/render.js';
import { requiredBumpResolved, missingInputs } from '../../src/core/partial-rules.js';
import { dependentsOf, outdatedUses, type VersionFacts } from '../../src/core/library.js';
import type { PromptFile } from '../../src/core/types.js';

const sha = (c: string): string => c.repeat(64).slice(0, 64);
const doc = (id: string, version: string, value: Record<string, unknown>, s = 'a'): VersionDoc => ({ id, version, sha256: sha(s), value: { id, version, ...value } });
const partial = (id: string, version: string, template: string, extra: Record<string, unknown> = {}, s = 'b'): VersionDoc => doc(id, version, { kind: 'partial', template, ...extra }, s);
function loaderOf(...docs: VersionDoc[]): DocLoader {
  const m = new Map(docs.map((d) => [`${d.id}@${d.version}`, d]));
  return (id, version) => {
    const d = m.get(`${id}@${version}`);
    if (d) return d;
    const versions = docs.filter((x) => x.id === id).map((x) => x.version);
    return versions.length ? { missing: 'version', versions } : { missing: 'prompt' };
  };
}
const MODEL = { provider: 'offline', name: 'echo' };
const prompt = (uses: Record<string, string>, template: string, inputs: Record<string, unknown> = { type: 'object', properties: { name: { type: 'string' } } }): VersionDoc =>
  doc('p', '1.0.0', { model: MODEL, uses, inputs, template });

describe('resolveDocument: partials', () => {
  it('resolves nested partials, lists every file of the closure in deps (sorted) and renders them with the caller\'s variables', () => {
    const sig = partial('shared/sig', '1.0.0', '-- {{name}}', {}, 'c');
    const tone = partial('shared/tone', '1.2.0', 'Be kind. {{> sig}}', { uses: { sig: 'shared/sig@1.0.0' } });
    const root = prompt({ tone: 'shared/tone@1.2.0' }, 'Hi. {{> tone}}');
    const res = resolveDocument(root, loaderOf(root, tone, sig));
    expect(res.problems).toEqual([]);
    expect(res.deps).toEqual({ 'shared/sig@1.0.0': sha('c'), 'shared/tone@1.2.0': sha('b') });
    const r = resolvedPrompt(res);
    expect(compilePrompt(r.prompt, r.library).render({ name: 'Ana' })).toEqual([{ role: 'user', content: 'Hi. Be kind. -- Ana' }]);
  });

  it('names are scoped per file: a partial cannot include a name only its includer declares', () => {
    const inner = partial('x/inner', '1.0.0', 'inner');
    const tone = partial('shared/tone', '1.0.0', 'T {{> inner}}');
    const root = prompt({ tone: 'shared/tone@1.0.0', inner: 'x/inner@1.0.0' }, '{{> tone}}');
    const r = resolvedPrompt(resolveDocument(root, loaderOf(root, tone, inner)));
    expect(() => compilePrompt(r.prompt, r.library).render({})).toThrow(/partial "inner" is not declared/);
  });

  it('reports an unknown id, an unknown version, a prompt used as a partial and an inexact ref at the uses entry', () => {
    const notPartial = doc('other/prompt', '1.0.0', { model: MODEL, template: 'x' });
    const tone = partial('shared/tone', '1.0.0', 't');
    const root = prompt({ a: 'nope/x@1.0.0', b: 'shared/tone@9.9.9', c: 'other/prompt@1.0.0', d: 'shared/tone@^1.0.0' }, '{{> a}}{{> b}}{{> c}}{{> d}}');
    const res = resolveDocument(root, loaderOf(root, tone, notPartial));
    expect(res.problems.map((p) => [p.rule, p.at.pointer])).toEqual([
      ['uses-unknown', '/uses/a'],
      ['uses-unknown', '/uses/b'],
      ['uses-not-partial', '/uses/c'],
      ['uses-invalid', '/uses/d'],
    ]);
    expect(res.problems[1]!.message).toMatch(/has no version 9\.9\.9 \(versions: 1\.0\.0\)/);
  });

  it('refuses a cycle between partials, at the entry that closes it, in the file that has it', () => {
    const a = partial('x/a', '1.0.0', '{{> b}}', { uses: { b: 'x/b@1.0.0' } });
    const b = partial('x/b', '1.0.0', '{{> a}}', { uses: { a: 'x/a@1.0.0' } });
    const root = prompt({ a: 'x/a@1.0.0' }, '{{> a}}');
    const res = resolveDocument(root, loaderOf(root, a, b));
    expect(res.problems).toEqual([expect.objectContaining({ rule: 'partial-cycle', at: { id: 'x/b', version: '1.0.0', pointer: '/uses/a' } })]);
    expect(res.problems[0]!.message).toMatch(/x\/a@1\.0\.0 -> x\/b@1\.0\.0 -> x\/a@1\.0\.0/);
    // a partial including itself
    const self = partial('x/self', '1.0.0', '{{> me}}', { uses: { me: 'x/self@1.0.0' } });
    expect(resolveDocument(self, loaderOf(self)).problems[0]!.rule).toBe('partial-cycle');
  });

  it(`refuses partials nested deeper than ${MAX_PARTIAL_DEPTH} levels`, () => {
    const chain: VersionDoc[] = [];
    for (let i = 0; i <= MAX_PARTIAL_DEPTH; i++) chain.push(partial(`d/p${i}`, '1.0.0', i === MAX_PARTIAL_DEPTH ? 'end' : '{{> next}}', i === MAX_PARTIAL_DEPTH ? {} : { uses: { next: `d/p${i + 1}@1.0.0` } }));
    const root = prompt({ next: 'd/p0@1.0.0' }, '{{> next}}');
    const res = resolveDocument(root, loaderOf(root, ...chain));
    expect(res.problems.map((p) => p.rule)).toEqual(['partial-depth']);
    // one level less is fine
    const ok = prompt({ next: 'd/p1@1.0.0' }, '{{> next}}');
    expect(resolveDocument(ok, loaderOf(ok, ...chain)).problems).toEqual([]);
  });
});

describe('resolveDocument: extends', () => {
  const base = doc('base/triage', '2.1.0', {
    description: 'base', author: 'a@x', created: '2026-01-01', changes: ['base'], tags: ['t'], model: MODEL,
    inputs: { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' }, tier: { type: 'string' } } },
    template: 'Ticket {{ticket}}',
  }, 'd');

  it('inherits every field but id, version, created, changes and author; inputs.properties merged, inputs.required united; the child\'s keys win', () => {
    const child = doc('child/triage', '1.0.0', {
      extends: 'base/triage@2.1.0', created: '2026-02-02',
      inputs: { required: ['lang'], properties: { lang: { type: 'string' }, tier: { type: 'string', enum: ['pro'] } } },
    });
    const res = resolveDocument(child, loaderOf(child, base));
    expect(res.problems).toEqual([]);
    expect(res.deps).toEqual({ 'base/triage@2.1.0': sha('d') });
    expect(res.merged).toEqual({
      id: 'child/triage', version: '1.0.0', created: '2026-02-02', description: 'base', tags: ['t'], model: MODEL, template: 'Ticket {{ticket}}',
      inputs: { type: 'object', required: ['ticket', 'lang'], properties: { ticket: { type: 'string' }, tier: { type: 'string', enum: ['pro'] }, lang: { type: 'string' } } },
    });
    expect(res.merged.author).toBeUndefined();
    expect(res.merged.changes).toBeUndefined();
  });

  it('a child that sets template or messages replaces the parent\'s text (one slot)', () => {
    expect(mergeExtends({ template: 'a', model: MODEL }, { messages: [{ role: 'user', content: 'b' }] })).toEqual({ model: MODEL, messages: [{ role: 'user', content: 'b' }] });
  });

  it('allows chains, refuses cycles, extends of a partial, unknown parents and chains beyond the limit', () => {
    const mid = doc('mid/x', '1.0.0', { extends: 'base/triage@2.1.0' }, 'e');
    const leaf = doc('leaf/x', '1.0.0', { extends: 'mid/x@1.0.0' });
    const chain = resolveDocument(leaf, loaderOf(leaf, mid, base));
    expect(chain.problems).toEqual([]);
    expect(resolvedPrompt(chain).extends).toEqual(['mid/x@1.0.0', 'base/triage@2.1.0']);
    expect(Object.keys(chain.deps)).toEqual(['base/triage@2.1.0', 'mid/x@1.0.0']);

    const a = doc('cy/a', '1.0.0', { extends: 'cy/b@1.0.0' });
    const b = doc('cy/b', '1.0.0', { extends: 'cy/a@1.0.0' });
    expect(resolveDocument(a, loaderOf(a, b)).problems.map((p) => [p.rule, p.at.id])).toEqual([['extends-cycle', 'cy/b']]);

    const part = partial('shared/tone', '1.0.0', 't');
    const ofPartial = doc('c/x', '1.0.0', { extends: 'shared/tone@1.0.0' });
    expect(resolveDocument(ofPartial, loaderOf(ofPartial, part)).problems.map((p) => p.rule)).toEqual(['extends-partial']);
    const unknown = doc('c/y', '1.0.0', { extends: 'base/triage@9.0.0' });
    expect(resolveDocument(unknown, loaderOf(unknown, base)).problems.map((p) => p.rule)).toEqual(['extends-unknown']);

    const long: VersionDoc[] = [base];
    for (let i = 0; i <= MAX_EXTENDS_DEPTH; i++) long.push(doc(`l/x${i}`, '1.0.0', { extends: i === 0 ? 'base/triage@2.1.0' : `l/x${i - 1}@1.0.0` }));
    expect(resolveDocument(long[long.length - 1]!, loaderOf(...long)).problems.map((p) => p.rule)).toEqual(['extends-depth']);
  });

  it('a child may swap the partial an inherited template includes', () => {
    const t1 = partial('shared/tone', '1.0.0', 'one');
    const t2 = partial('shared/tone', '2.0.0', 'two', {}, 'f');
    const parent = doc('base/p', '1.0.0', { model: MODEL, uses: { tone: 'shared/tone@1.0.0' }, template: '{{> tone}}' });
    const child = doc('child/p', '1.0.0', { extends: 'base/p@1.0.0', uses: { tone: 'shared/tone@2.0.0' } });
    const r = resolvedPrompt(resolveDocument(child, loaderOf(child, parent, t1, t2)));
    expect(compilePrompt(r.prompt, r.library).render({})).toEqual([{ role: 'user', content: 'two' }]);
    expect(Object.keys(r.deps)).toEqual(['base/p@1.0.0', 'shared/tone@2.0.0']);
  });
});

describe('parseVersionRef', () => {
  it('takes exact versions only', () => {
    expect(parseVersionRef('shared/tone@1.2.0')).toEqual({ id: 'shared/tone', version: '1.2.0' });
    for (const bad of ['shared/tone', 'shared/tone@latest', 'shared/tone@^1.2.0', 'Shared/Tone@1.0.0', 'shared/tone@1.0.0+build', '../x@1.0.0']) expect(parseVersionRef(bad)).toHaveProperty('problem');
  });
});

describe('bump levels from a partial change (requiredBumpResolved)', () => {
  const inputs = { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' } } };
  const side = (tpl: string, pinputs?: Record<string, unknown>): { prompt: PromptFile; library: { uses: Record<string, string>; partials: Record<string, { template: string; uses: Record<string, string>; inputs?: Record<string, unknown> }> } } => ({
    prompt: { id: 'p', version: '1.0.0', model: MODEL, inputs, template: '{{ticket}} {{> tone}}' } as PromptFile,
    library: { uses: { tone: `shared/tone@${tpl === 'same' ? '1.0.0' : '1.1.0'}` }, partials: { [`shared/tone@${tpl === 'same' ? '1.0.0' : '1.1.0'}`]: { template: tpl === 'same' ? 'Be kind.' : tpl, uses: {}, ...(pinputs ? { inputs: pinputs } : {}) } } },
  });
  it('a partial whose text changed is a patch', () => {
    const r = requiredBumpResolved(side('same'), side('Be very kind.'));
    expect(r.level).toBe('patch');
    expect(r.reasons.join('\n')).toMatch(/partial tone: shared\/tone 1\.0\.0 -> 1\.1\.0, its template changed/);
  });
  it('a partial that now requires an input callers never passed is major, and bump --use adds it as a required input', () => {
    const next = side('Sign as {{agent}}.', { type: 'object', required: ['agent'], properties: { agent: { type: 'string', minLength: 1 } } });
    const r = requiredBumpResolved(side('same'), next);
    expect(r.level).toBe('major');
    expect(r.reasons[0]).toMatch(/requires input "agent"/);
    expect(missingInputs(next)).toEqual([{ name: 'agent', schema: { type: 'string', minLength: 1 }, required: true, partial: 'shared/tone@1.1.0' }]);
  });
});

describe('library: dependents and outdated', () => {
  const facts: VersionFacts[] = [
    { id: 'shared/sig', version: '1.0.0', kind: 'partial', uses: {}, closure: [] },
    { id: 'shared/tone', version: '1.0.0', kind: 'partial', uses: { sig: 'shared/sig@1.0.0' }, closure: ['shared/sig@1.0.0'] },
    { id: 'shared/tone', version: '1.1.0', kind: 'partial', uses: {}, closure: [] },
    { id: 'shared/tone', version: '2.0.0-rc.1', kind: 'partial', uses: {}, closure: [] },
    { id: 'a/p', version: '1.0.0', kind: 'prompt', uses: { tone: 'shared/tone@1.0.0' }, closure: ['shared/sig@1.0.0', 'shared/tone@1.0.0'] },
    { id: 'a/p', version: '1.1.0', kind: 'prompt', uses: { tone: 'shared/tone@1.1.0' }, closure: ['shared/tone@1.1.0'] },
    { id: 'b/p', version: '1.0.0', kind: 'prompt', uses: { t: 'shared/tone@1.0.0' }, closure: ['shared/sig@1.0.0', 'shared/tone@1.0.0'] },
    { id: 'c/p', version: '1.0.0', kind: 'prompt', uses: {}, extends: 'b/p@1.0.0', closure: ['b/p@1.0.0', 'shared/sig@1.0.0', 'shared/tone@1.0.0'] },
  ];
  it('dependents: who uses which version, how, and where it is pinned', () => {
    const pins = new Map([['a/p@1.0.0', ['production']], ['a/p@1.1.0', ['staging:candidate']]]);
    expect(dependentsOf('shared/tone', facts, pins).map((d) => [`${d.id}@${d.version}`, d.uses, d.how, d.names, d.pinnedIn])).toEqual([
      ['a/p@1.0.0', '1.0.0', 'uses', ['tone'], ['production']],
      ['a/p@1.1.0', '1.1.0', 'uses', ['tone'], ['staging:candidate']],
      ['b/p@1.0.0', '1.0.0', 'uses', ['t'], []],
      ['c/p@1.0.0', '1.0.0', 'through', [], []],
    ]);
    expect(dependentsOf('shared/sig', facts, new Map()).map((d) => [`${d.id}@${d.version}`, d.how])).toEqual([
      ['a/p@1.0.0', 'through'], ['b/p@1.0.0', 'through'], ['c/p@1.0.0', 'through'], ['shared/tone@1.0.0', 'uses'],
    ]);
    expect(dependentsOf('b/p', facts, new Map()).map((d) => d.how)).toEqual(['extends']);
  });
  it('outdated: only latest versions, stable uses against the latest stable version', () => {
    const versionsOf = (id: string): string[] => facts.filter((f) => f.id === id).map((f) => f.version);
    expect(outdatedUses(facts, versionsOf)).toEqual([{ id: 'b/p', version: '1.0.0', name: 't', partial: 'shared/tone', current: '1.0.0', latest: '1.1.0' }]);
  });
});

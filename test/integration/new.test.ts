import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { prompts, snapshot, today } from './registry-cmd-helpers.js';
import { makeRegistry, BASIC_CONFIG, type TempRegistry } from '../helpers/registry.js';
import { openRegistry } from '../../src/registry/registry.js';
import type { PromptFile } from '../../src/core/types.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const PIN = `environment: staging
prompts:
  support/triage:
    version: 1.0.0
    sha256: ${'b'.repeat(64)}
    previous: null
    promoted_at: 2026-11-22T10:00:00Z
    promoted_by: Ana <ana@example.com>
    history: []
`;

describe('prompts new', () => {
  it('creates a valid 1.0.0 skeleton: first provider, author, created today, modeline for the id depth', async () => {
    reg = makeRegistry({ git: true });
    const r = await prompts(reg.dir, ['new', 'support/triage']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('prompts/support/triage/1.0.0.yaml\n');
    const loaded = openRegistry(reg.dir).loadPrompt('support/triage', '1.0.0');
    const p = loaded.value;
    expect(p).toMatchObject({ id: 'support/triage', version: '1.0.0', author: 'test@example.com', created: today(), changes: ['Initial version'] });
    expect(p.model.provider).toBe('openai'); // the first provider of BASIC_CONFIG
    expect(loaded.decoded.text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schemas/prompt.schema.json');
    const deep = await prompts(reg.dir, ['new', 'a/b/c/d']);
    expect(deep.code).toBe(0);
    expect(readFileSync(path.join(reg.dir, 'prompts/a/b/c/d/1.0.0.yaml'), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../../../../schemas/prompt.schema.json');
    const v = await prompts(reg.dir, ['validate']);
    expect(v.code, v.stdout).toBe(0);
    const rendered = await prompts(reg.dir, ['render', 'support/triage', '--var', 'text=hello']);
    expect(rendered.stdout).toContain('hello');
  });

  it('takes the author from git config when GIT_AUTHOR_EMAIL is not set', async () => {
    reg = makeRegistry({ git: true });
    reg.git('config', 'user.email', 'cfg@example.com');
    await prompts(reg.dir, ['new', 'one'], { GIT_AUTHOR_EMAIL: '' });
    expect(openRegistry(reg.dir).loadPrompt('one', '1.0.0').value.author).toBe('cfg@example.com');
  });

  it('uses a model name that fits the provider type', async () => {
    reg = makeRegistry({ config: 'providers:\n  offline: { type: echo }\n' });
    await prompts(reg.dir, ['new', 'x']);
    expect(openRegistry(reg.dir).loadPrompt('x', '1.0.0').value.model).toMatchObject({ provider: 'offline', name: 'echo' });
  });

  it('--from copies another version, resetting id, version, created, changes and author, keeping comments', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.2.0'] } });
    reg.write('prompts/support/triage/1.2.0.yaml', `# my comment\n${readFileSync(path.join(reg.dir, 'prompts/support/triage/1.2.0.yaml'), 'utf8')}`);
    reg.write('environments/staging.yaml', PIN);
    const r = await prompts(reg.dir, ['new', 'sales/triage', '--from', 'support/triage@1.2.0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('from support/triage@1.2.0');
    const text = readFileSync(path.join(reg.dir, 'prompts/sales/triage/1.0.0.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schemas/prompt.schema.json');
    expect(text).toContain('# my comment');
    const p = openRegistry(reg.dir).loadPrompt('sales/triage', '1.0.0').value;
    const src = openRegistry(reg.dir).loadPrompt('support/triage', '1.2.0').value;
    expect(p).toEqual({ ...src, id: 'sales/triage', version: '1.0.0', created: today(), changes: ['Copied from support/triage@1.2.0'], author: 'test@example.com' });
    const viaEnv = await prompts(reg.dir, ['--json', 'new', 'other', '--from', 'support/triage@staging']);
    expect(JSON.parse(viaEnv.stdout)).toEqual({ ok: true, id: 'other', version: '1.0.0', kind: 'prompt', file: 'prompts/other/1.0.0.yaml', suite: 'prompts/other/evals.yaml', from: 'support/triage@1.0.0' });
  });

  it('writes an evals.yaml skeleton: valid, empty, one commented example case; a gate refuses the empty suite', async () => {
    reg = makeRegistry({ git: true, config: 'environments:\n  development: {}\n  staging: { requires: development, gate: { min_pass_rate: 0.5 } }\nproviders:\n  offline: { type: echo }\n' });
    const r = await prompts(reg.dir, ['new', 'support/triage']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('created prompts/support/triage/evals.yaml: an empty eval suite');
    const suite = readFileSync(path.join(reg.dir, 'prompts/support/triage/evals.yaml'), 'utf8');
    expect(suite.split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schemas/suite.schema.json');
    expect(suite).toMatch(/^#\s+- name: answers a simple question$/m);
    expect(suite).toMatch(/^cases: \[\]$/m);
    expect((await prompts(reg.dir, ['validate'])).code).toBe(0);
    // the commented example, uncommented, is a valid case for the skeleton's inputs
    const example = suite.split('\n').filter((l) => /^# {3}/.test(l)).map((l) => l.slice(1));
    reg.write('prompts/support/triage/evals.yaml', `cases:\n${example.join('\n')}\n`);
    expect((await prompts(reg.dir, ['validate'])).code).toBe(0);
    expect(openRegistry(reg.dir).loadSuite('support/triage')!.value.cases).toHaveLength(1);
    // back to the empty skeleton: a gate refuses it loudly
    reg.write('prompts/support/triage/evals.yaml', suite);
    reg.commitAll('new prompt');
    expect((await prompts(reg.dir, ['promote', 'support/triage@1.0.0', '--env', 'development', '--no-commit'])).code).toBe(0);
    const gated = await prompts(reg.dir, ['promote', 'support/triage', '--env', 'staging', '--no-commit']);
    expect(gated.code).toBe(1);
    expect(gated.stderr).toContain('the suite has no cases that apply to support/triage@1.0.0');
  });

  it('--from copies the source prompt\'s suite (modeline for the new depth) and warns about cases limited to other versions', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.2.0'] } });
    reg.write('prompts/support/triage/evals.yaml', 'cases:\n  - name: all\n    vars: { ticket: x }\n    assert: [{ type: contains, value: x }]\n  - name: new only\n    versions: ">=1.2.0"\n    vars: { ticket: y }\n');
    const r = await prompts(reg.dir, ['new', 'a/b/c', '--from', 'support/triage@1.2.0']);
    expect(r.code, r.stderr).toBe(0);
    const copied = readFileSync(path.join(reg.dir, 'prompts/a/b/c/evals.yaml'), 'utf8');
    expect(copied).toBe(`# yaml-language-server: $schema=../../../../schemas/suite.schema.json\n${readFileSync(path.join(reg.dir, 'prompts/support/triage/evals.yaml'), 'utf8')}`);
    expect(r.stderr).toContain('copied the eval suite of support/triage to prompts/a/b/c/evals.yaml');
    expect(r.stderr).toContain('warning: 1 case(s) of the copied suite have a "versions:" range that a/b/c@1.0.0 is not in');
    expect((await prompts(reg.dir, ['validate'])).code).toBe(0);
    // an evals.yaml already in the folder is kept
    reg.write('prompts/kept/evals.yaml', 'cases: []\n');
    const k = await prompts(reg.dir, ['new', 'kept']);
    expect(k.stderr).toContain('kept the existing prompts/kept/evals.yaml');
    expect(readFileSync(path.join(reg.dir, 'prompts/kept/evals.yaml'), 'utf8')).toBe('cases: []\n');
  });

  it.each([
    ['..', '".." segments are not allowed'],
    ['a/../b', '".." segments are not allowed'],
    ['/abs', 'may not start with "/"'],
    ['trailing/', 'may not end with "/"'],
    ['Upper/Case', 'upper case is not allowed'],
    ['back\\slash', 'back-slashes are not allowed'],
    ['a/b/c/d/e', 'at most 4 segments'],
    ['a/_x', 'must match'],
  ])('rejects the invalid id %s with exit 2 before touching any file', async (id, msg) => {
    reg = makeRegistry();
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['new', id]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it('refuses an existing prompt (exit 2) and leaves it untouched', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['new', 'support/triage']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prompt "support/triage" already exists (versions: 1.0.0)');
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it('refuses when a folder on the way is a file, or --from is unknown (exit 2, nothing written)', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    reg.write('prompts/afile', 'x');
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['new', 'afile/sub']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prompts/afile exists but is not a folder');
    const r2 = await prompts(reg.dir, ['new', 'x', '--from', 'support/triag@1.0.0']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('did you mean "support/triage"?');
    const r3 = await prompts(reg.dir, ['new', 'x', '--from', 'support/triage@9.9.9']);
    expect(r3.code).toBe(2);
    expect(snapshot(reg.dir)).toEqual(before);
    expect(existsSync(path.join(reg.dir, 'prompts/x'))).toBe(false);
  });

  it('warns when the config has no providers', async () => {
    reg = makeRegistry({ config: 'prompts_dir: prompts\n' });
    const r = await prompts(reg.dir, ['new', 'x']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('declares no providers');
  });

  it('keeps BASIC_CONFIG in mind: its first provider is openai', () => {
    expect(BASIC_CONFIG.indexOf('openai:')).toBeLessThan(BASIC_CONFIG.indexOf('offline:'));
  });
});

export type { PromptFile };

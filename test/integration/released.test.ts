/**
 * Released means immutable, without --base: a version ever pinned in an environment (its sha256
 * recorded by a pin or a history entry), active or not, may not change. validate and the
 * pre-commit hook (validate --staged) report the edited file; bump names it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prompts, gitRegistry, readEnv } from './env-helpers.js';
import type { TempRegistry } from '../helpers/registry.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

/** a@1.0.0 then a@1.1.0 promoted to development: 1.0.0 is released, active nowhere. */
async function released(): Promise<TempRegistry> {
  r = gitRegistry();
  for (const v of ['1.0.0', '1.1.0']) {
    const p = await prompts(r.dir, ['promote', `a@${v}`, '--env', 'development', '--reason', v]);
    expect(p.code, p.stderr).toBe(0);
  }
  const pin = readEnv(r, 'development').prompts.a!;
  expect(pin.version).toBe('1.1.0');
  expect(pin.history.some((h) => h.version === '1.0.0' && h.sha256)).toBe(true);
  return r;
}
const file = (v: string): string => path.join(r.dir, `prompts/a/${v}.yaml`);
const edit = (v: string): void => writeFileSync(file(v), readFileSync(file(v), 'utf8').replace('You are a support triage assistant.', 'You are a careless assistant.'));
const rules = (out: string): string[] => (JSON.parse(out) as { errors: { rule: string; file: string }[] }).errors.map((e) => `${e.file} ${e.rule}`);

describe('released-version-changed', () => {
  it('validate fails when a version released before (in history only) is edited, naming the file', async () => {
    await released();
    edit('1.0.0');
    const v = await prompts(r.dir, ['validate', '--json']);
    expect(v.code).toBe(1);
    expect(rules(v.stdout)).toEqual(['prompts/a/1.0.0.yaml released-version-changed']);
    const text = await prompts(r.dir, ['validate']);
    expect(text.stdout).toMatch(/prompts\/a\/1\.0\.0\.yaml\n\s+1:1\s+error\s+prompts\/a\/1\.0\.0\.yaml was released \(promoted to development with sha256 [0-9a-f]{12}…\) and changed since/);
    // also once the edit is committed (no --base needed)
    r.commitAll('edit an old release');
    expect(rules((await prompts(r.dir, ['validate', '--json'])).stdout)).toEqual(['prompts/a/1.0.0.yaml released-version-changed']);
  });

  it('the pre-commit hook (validate --staged) blocks the staged edit, not an unstaged one', async () => {
    await released();
    r.commitAll('promotions');
    edit('1.0.0');
    expect((await prompts(r.dir, ['validate', '--staged'])).code).toBe(0);
    r.git('add', 'prompts/a/1.0.0.yaml');
    const staged = await prompts(r.dir, ['validate', '--staged', '--json']);
    expect(staged.code).toBe(1);
    expect(rules(staged.stdout)).toEqual(['prompts/a/1.0.0.yaml released-version-changed']);
  });

  it('the active version keeps its own rule (pin-sha-mismatch on the environment file), never reported twice', async () => {
    await released();
    edit('1.1.0');
    expect(rules((await prompts(r.dir, ['validate', '--json'])).stdout)).toEqual(['environments/development.yaml pin-sha-mismatch']);
  });

  it('a version never pinned may be edited (before it is released); restoring the bytes clears it', async () => {
    await released();
    edit('1.2.0');
    expect((await prompts(r.dir, ['validate'])).code).toBe(0);
    edit('1.0.0');
    expect((await prompts(r.dir, ['validate'])).code).toBe(1);
    r.git('checkout', '--', 'prompts/a/1.0.0.yaml');
    expect((await prompts(r.dir, ['validate'])).code).toBe(0);
  });

  it('bump names the edited released file', async () => {
    await released();
    edit('1.0.0');
    r.commitAll('edit an old release');
    const b = await prompts(r.dir, ['bump', 'a', 'patch']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toContain('warning: prompts/a/1.0.0.yaml was released (promoted to development with sha256 ');
    expect(b.stderr).toContain('and its content changed since');
    const j = await prompts(r.dir, ['bump', 'a', 'patch', '--json']);
    expect(JSON.parse(j.stdout).released_changed).toEqual(['prompts/a/1.0.0.yaml']);
  });
});

/**
 * `prompts validate` and rollouts (SPEC §12): a rollout's candidate is pinned like any pin (its
 * file exists, its bytes are the ones the rollout started with), its weight and stages are sane,
 * and it differs from the stable version — each reported at the env file's line and column, in
 * whole runs, path selections (the candidate's file selects the env file) and --staged.
 */
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runValidate, type EngineOptions } from '../../src/validate/engine.js';
import { registriesPerTest, type TempRegistry } from '../helpers/registry.js';
import { runInProcess } from '../helpers/in-process.js';
import { UNGATED_CONFIG } from './env-helpers.js';

const reg = registriesPerTest();

function validate(r: TempRegistry, o: Partial<EngineOptions> = {}) {
  return runValidate({ root: r.dir, cwd: r.dir, paths: [], staged: false, cache: false, toolVersion: 'test', workers: 0, ...o });
}
const brief = (res: Awaited<ReturnType<typeof validate>>) => [...res.errors, ...res.warnings].map((p) => `${p.file}:${p.line}:${p.column} ${p.rule}`).sort();
const envFile = (r: TempRegistry): string => path.join(r.dir, 'environments/development.yaml');
const edit = (r: TempRegistry, from: RegExp | string, to: string): void => {
  const text = fs.readFileSync(envFile(r), 'utf8');
  const next = text.replace(from, to);
  expect(next).not.toBe(text);
  fs.writeFileSync(envFile(r), next);
};

/** development pins a@1.0.0 with a rollout of 1.1.0 at 5 % (stages 5, 25), all made by the CLI and committed */
async function rolling(): Promise<TempRegistry> {
  const r = reg({ git: true, config: UNGATED_CONFIG, prompts: { a: ['1.0.0', '1.1.0'], b: ['1.0.0'] } });
  r.write('.gitignore', '.prompts/\n');
  r.commitAll('init');
  for (const args of [['promote', 'a@1.0.0', '--env', 'development'], ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--stages', '5,25']]) {
    const res = await runInProcess(r.dir, args);
    expect(res, res.stderr).toMatchObject({ code: 0 });
  }
  return r;
}

describe('validate: rollout pins', () => {
  it('a registry with a running rollout made by the CLI is valid', async () => {
    const r = await rolling();
    const res = await validate(r);
    expect(brief(res)).toEqual([]);
    expect(res.ok).toBe(true);
  });

  it('a candidate whose bytes changed since the rollout started: rollout-sha-mismatch at the rollout\'s sha256', async () => {
    const r = await rolling();
    fs.appendFileSync(path.join(r.dir, 'prompts/a/1.1.0.yaml'), '# edited\n');
    const res = await validate(r);
    expect(brief(res)).toEqual(['environments/development.yaml:12:15 rollout-sha-mismatch']);
    expect(res.errors[0]!.message).toMatch(/prompts\/a\/1\.1\.0\.yaml changed after its rollout started in development/);
    // selecting only the candidate's file reports the env file that rolls it out
    expect(brief(await validate(r, { paths: ['prompts/a/1.1.0.yaml'] }))).toEqual(['environments/development.yaml:12:15 rollout-sha-mismatch']);
    expect(brief(await validate(r, { paths: ['prompts/b'] }))).toEqual([]);
  });

  it('a candidate file that is gone: rollout-missing-version; a staged deletion of it too (--staged)', async () => {
    const r = await rolling();
    r.git('rm', '-q', 'prompts/a/1.1.0.yaml');
    expect(brief(await validate(r, { staged: true }))).toEqual(['environments/development.yaml:11:16 rollout-missing-version']);
    expect((await validate(r, { staged: true })).errors[0]!.message).toMatch(/deletion is staged/);
    const res = await validate(r);
    expect(brief(res)).toEqual(['environments/development.yaml:11:16 rollout-missing-version']);
    expect(res.errors[0]!.message).toMatch(/rolls out a@1\.1\.0 \(the candidate\), but prompts\/a\/1\.1\.0\.yaml does not exist/);
  });

  it('weights with more than 2 decimals, stages that do not ascend, a candidate that is the stable version', async () => {
    const r = await rolling();
    edit(r, '      weight: 5\n', '      weight: 5.125\n');
    edit(r, '      stages: [5, 25]\n', '      stages: [25, 5]\n');
    const res = await validate(r);
    // a hand-edited weight is also not what the rollout's entries recorded (the chain, SPEC §15)
    expect(brief(res)).toEqual(['environments/development.yaml:11:7 env-history-tampered', 'environments/development.yaml:13:15 rollout-weight', 'environments/development.yaml:15:15 rollout-stages']);
    edit(r, /( {6}version: )1\.1\.0/, '$11.0.0');
    expect(brief(await validate(r))).toEqual(expect.arrayContaining(['environments/development.yaml:11:16 rollout-candidate-is-stable']));
  });

  it('schema problems of a rollout block are reported with positions (weight out of range, unknown key)', async () => {
    const r = await rolling();
    edit(r, '      weight: 5\n', '      weight: 500\n      colour: red\n');
    const rules = brief(await validate(r));
    expect(rules.some((x) => /^environments\/development\.yaml:13:\d+ schema-/.test(x))).toBe(true);
    expect(rules.some((x) => /^environments\/development\.yaml:14:\d+ schema-unknown-key/.test(x))).toBe(true);
  });

  it('the built CLI prints them as file:line:col with the rule (exit 1)', async () => {
    const r = await rolling();
    fs.appendFileSync(path.join(r.dir, 'prompts/a/1.1.0.yaml'), '# edited\n');
    const res = await runInProcess(r.dir, ['validate', '--no-cache']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/12:15 +error +prompts\/a\/1\.1\.0\.yaml changed after its rollout started in development.* rollout-sha-mismatch/);
  });
});

/**
 * Rollout steps and promotions of other prompts in the same environment at once, as separate
 * processes of the built CLI: every commit lands, the file stays valid, nothing is lost. And
 * processes SIGKILLed in the middle of a rollout step never leave a broken file.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { cli, BIN } from '../helpers/cli.js';
import { GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { gitRegistry, envBytes, commitCount, UNGATED_CONFIG } from './env-helpers.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import type { EnvironmentFile } from '../../src/core/types.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

function validEnv(text: string | null): EnvironmentFile {
  expect(text).not.toBeNull();
  const p = parseYaml(text!);
  expect(p.issues).toEqual([]);
  expect(getValidator('environment')(p.value)).toBe(true);
  return p.value as EnvironmentFile;
}

const OTHERS = Array.from({ length: 6 }, (_, i) => `p${i}`);

describe('rollouts beside promotions of other prompts', () => {
  it('a rollout start, set, advance and abort racing 6 promotes of other prompts (separate processes): all commits, file valid', async () => {
    r = gitRegistry(UNGATED_CONFIG, { r1: ['1.0.0', '1.1.0'], r2: ['1.0.0', '1.1.0'], ...Object.fromEntries(OTHERS.map((id) => [id, ['1.0.0']])) });
    for (const id of ['r1', 'r2']) expect((await cli(['promote', `${id}@1.0.0`, '--env', 'development'], { cwd: r.dir })).exitCode).toBe(0);
    expect((await cli(['rollout', 'start', 'r2@1.1.0', '--env', 'development', '--stages', '5,25'], { cwd: r.dir })).exitCode).toBe(0);
    const before = commitCount(r);
    const runs = [
      cli(['rollout', 'start', 'r1@1.1.0', '--env', 'development', '--weight', '10'], { cwd: r.dir, timeout: 60000 }),
      cli(['rollout', 'advance', 'r2', '--env', 'development'], { cwd: r.dir, timeout: 60000 }),
      ...OTHERS.map((id) => cli(['promote', `${id}@1.0.0`, '--env', 'development', '--reason', `r-${id}`], { cwd: r.dir, timeout: 60000 })),
    ];
    const results = await Promise.all(runs);
    for (const res of results) expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    // the next steps of both rollouts race each other
    const next = await Promise.all([
      cli(['rollout', 'set', 'r1', '--env', 'development', '--weight', '50'], { cwd: r.dir, timeout: 60000 }),
      cli(['rollout', 'abort', 'r2', '--env', 'development', '--reason', 'bad'], { cwd: r.dir, timeout: 60000 }),
    ]);
    for (const res of next) expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    const env = validEnv(envBytes(r, 'development'));
    expect(Object.keys(env.prompts).sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'r1', 'r2']);
    for (const id of OTHERS) expect(env.prompts[id]).toMatchObject({ version: '1.0.0', reason: `r-${id}` });
    expect(env.prompts.r1!.rollout).toMatchObject({ version: '1.1.0', weight: 50 });
    expect(env.prompts.r2!.rollout).toBeUndefined();
    expect(env.prompts.r2!.history.slice(0, 3).map((h) => [h.action, h.weight])).toEqual([
      ['rollout-abort', 0],
      ['rollout-set', 25],
      ['rollout-start', 5],
    ]);
    expect(commitCount(r)).toBe(before + 10);
    const subjects = r.git('log', '-10', '--format=%s').trim().split('\n').sort();
    expect(subjects).toEqual(
      [
        ...OTHERS.map((id) => `prompts(development): promote ${id} none -> 1.0.0`),
        'prompts(development): rollout r1 1.0.0 -> 1.1.0 0% -> 10%',
        'prompts(development): rollout r1 1.0.0 -> 1.1.0 10% -> 50%',
        'prompts(development): rollout r2 1.0.0 -> 1.1.0 5% -> 25%',
        'prompts(development): rollout r2 1.0.0 -> 1.1.0 25% -> 0%',
      ].sort(),
    );
    const files = r.git('log', '-10', '--format=', '--name-only').split('\n').filter(Boolean);
    expect(new Set(files)).toEqual(new Set(['environments/development.yaml']));
    expect(r.git('status', '--porcelain').trim()).toBe('');
  }, 120000);

  it('processes SIGKILLed mid rollout step never leave a broken env file, and the next step succeeds', async () => {
    r = gitRegistry(UNGATED_CONFIG, { a: ['1.0.0', '1.1.0'] });
    expect((await cli(['promote', 'a@1.0.0', '--env', 'development'], { cwd: r.dir })).exitCode).toBe(0);
    expect((await cli(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '1'], { cwd: r.dir })).exitCode).toBe(0);
    let weight = 1;
    for (let i = 0; i < 6; i++) {
      const child = spawn(process.execPath, [BIN, 'rollout', 'set', 'a', '--env', 'development', '--weight', String(90 - i)], {
        cwd: r.dir,
        env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true' },
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise((res) => setTimeout(res, 60 + Math.floor(Math.random() * 400)));
      child.kill('SIGKILL');
      await exited;
      const now = validEnv(envBytes(r, 'development')).prompts.a!.rollout!;
      expect([weight, 90 - i]).toContain(now.weight);
      weight = i + 2;
      const next = await cli(['rollout', 'set', 'a', '--env', 'development', '--weight', String(weight)], { cwd: r.dir, timeout: 60000 });
      expect(next, next.stderr).toMatchObject({ exitCode: 0 });
      expect(validEnv(envBytes(r, 'development')).prompts.a!.rollout!.weight).toBe(weight);
    }
    expect(existsSync(path.join(r.dir, '.prompts/locks/environments.lock'))).toBe(false);
    expect(r.git('status', '--porcelain', '--untracked-files=all').trim()).toBe('');
  }, 120000);
});

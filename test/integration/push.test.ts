/** `--push`: non-fast-forward rejection -> fetch, rebase the one-file commit, re-check, retry; shallow clones. */
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, realpathSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GIT_ENV } from '../helpers/registry.js';
import { prompts, gitRegistry } from './env-helpers.js';
import { parseYaml } from '../../src/registry/yaml.js';
import type { EnvironmentFile } from '../../src/core/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function setup(): { remote: string; clone: (name: string, shallow?: boolean) => string } {
  const seed = gitRegistry(undefined, { a: ['1.0.0', '1.1.0', '1.2.0'], b: ['1.0.0'] });
  dirs.push(seed.dir);
  const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-push-')));
  dirs.push(base);
  const remote = path.join(base, 'remote.git');
  git(base, 'init', '-q', '--bare', '-b', 'main', remote);
  seed.git('remote', 'add', 'origin', remote);
  seed.git('push', '-q', 'origin', 'main');
  const clone = (name: string, shallow = false): string => {
    const dir = path.join(base, name);
    git(base, 'clone', '-q', ...(shallow ? ['--depth', '1'] : []), `file://${remote}`, dir);
    git(dir, 'config', 'user.name', name);
    git(dir, 'config', 'user.email', `${name}@example.com`);
    git(dir, 'config', 'commit.gpgsign', 'false');
    return dir;
  };
  return { remote, clone };
}

const remoteEnv = (remote: string, env: string): EnvironmentFile => parseYaml(git(remote, 'show', `main:environments/${env}.yaml`)).value as EnvironmentFile;

describe('promote --push', () => {
  it('pushes; a rejected push is rebased (env file regenerated) and retried; works in a shallow clone', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    const B = clone('bob', true);
    expect(git(B, 'rev-parse', '--is-shallow-repository').trim()).toBe('true');
    let res = await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/, pushed\)/);
    // bob is behind: both created environments/development.yaml -> conflict resolved by regeneration
    res = await prompts(B, ['promote', 'b@1.0.0', '--env', 'development', '--push']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stderr).toMatch(/push rejected \(attempt 1\); fetching and rebasing/);
    const env = remoteEnv(remote, 'development');
    expect(Object.keys(env.prompts).sort()).toEqual(['a', 'b']);
    expect(git(remote, 'log', '--format=%s', 'main').trim().split('\n').slice(0, 2)).toEqual([
      'prompts(development): promote b none -> 1.0.0',
      'prompts(development): promote a none -> 1.0.0',
    ]);
    expect(git(B, 'status', '--porcelain').trim()).toBe('');
    expect(git(B, 'rev-parse', 'HEAD').trim()).toBe(git(remote, 'rev-parse', 'main').trim());
  });

  it('a clean textual rebase (the remote changed another file) pushes after one retry', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    const B = clone('bob');
    expect((await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push'])).code).toBe(0);
    git(B, 'pull', '-q');
    writeFileSync(path.join(A, 'NOTES.md'), 'x\n');
    git(A, 'add', 'NOTES.md');
    git(A, 'commit', '-q', '-m', 'notes');
    git(A, 'pull', '-q', '--rebase');
    git(A, 'push', '-q');
    const res = await prompts(B, ['promote', 'a@1.1.0', '--env', 'development', '--push']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stderr).toMatch(/push rejected \(attempt 1\)/);
    expect(remoteEnv(remote, 'development').prompts.a!.version).toBe('1.1.0');
    expect(git(remote, 'show', 'main:NOTES.md')).toBe('x\n');
  });

  it('the same prompt promoted on the remote meanwhile: exit 3, the local commit is undone, a re-run after pull works', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    const B = clone('bob');
    for (const d of [A, B]) git(d, 'pull', '-q');
    expect((await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push'])).code).toBe(0);
    git(B, 'pull', '-q');
    const before = git(B, 'rev-parse', 'HEAD').trim();
    expect((await prompts(A, ['promote', 'a@1.1.0', '--env', 'development', '--push'])).code).toBe(0);
    const res = await prompts(B, ['promote', 'a@1.2.0', '--env', 'development', '--push']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/a in "development" changed while this promotion was prepared \(it was 1\.0\.0, now 1\.1\.0\)/);
    expect(res.stderr).toMatch(/nothing was pushed and the local commit was undone; update your branch \("git pull --rebase"\)/);
    expect(remoteEnv(remote, 'development').prompts.a!.version).toBe('1.1.0');
    // the refused promotion left no trace: HEAD and the env file are as before the command
    expect(git(B, 'rev-parse', 'HEAD').trim()).toBe(before);
    expect(git(B, 'status', '--porcelain').trim()).toBe('');
    // re-running without updating must not claim "already pinned" (it used to, with the stale local commit)
    const again = await prompts(B, ['promote', 'a@1.2.0', '--env', 'development', '--push']);
    expect(again.stdout).not.toMatch(/already pinned/);
    expect(again.code).toBe(3);
    git(B, 'pull', '-q', '--rebase');
    const ok = await prompts(B, ['promote', 'a@1.2.0', '--env', 'development', '--push']);
    expect(ok, ok.stderr).toMatchObject({ code: 0 });
    expect(remoteEnv(remote, 'development').prompts.a).toMatchObject({ version: '1.2.0', previous: '1.1.0' });
  });

  it('the undo of a conflicting first promotion removes the env file it created', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    const B = clone('bob');
    expect((await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push'])).code).toBe(0);
    const before = git(B, 'rev-parse', 'HEAD').trim();
    const res = await prompts(B, ['promote', 'a@1.1.0', '--env', 'development', '--push']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/it was not pinned, now 1\.0\.0/);
    expect(res.stderr).toMatch(/the local commit was undone/);
    expect(git(B, 'rev-parse', 'HEAD').trim()).toBe(before);
    expect(git(B, 'status', '--porcelain').trim()).toBe('');
    expect(remoteEnv(remote, 'development').prompts.a!.version).toBe('1.0.0');
  });

  it('refuses (exit 3, nothing written) to --push when the branch has local commits the push would publish too', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    writeFileSync(path.join(A, 'WIP.md'), 'local experiment\n');
    git(A, 'add', 'WIP.md');
    git(A, 'commit', '-q', '-m', 'WIP: local experiment');
    const before = git(A, 'rev-parse', 'HEAD').trim();
    const remoteBefore = git(remote, 'rev-parse', 'main').trim();
    const res = await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/refusing to --push: the branch has 1 local commit not on origin\/main/);
    expect(git(A, 'rev-parse', 'HEAD').trim()).toBe(before);
    expect(git(A, 'status', '--porcelain').trim()).toBe('');
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(remoteBefore);
    // once pushed, the promotion goes through
    git(A, 'push', '-q');
    expect((await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push'])).code).toBe(0);
  });

  it('a push the remote refuses (hook): exit 3, the commit stays local and the file committed', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    writeFileSync(path.join(remote, 'hooks/pre-receive'), '#!/bin/sh\necho "no pushes today" >&2\nexit 1\n', { mode: 0o755 });
    const before = git(remote, 'rev-parse', 'main').trim();
    const res = await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/push to origin\/main failed: .*\(the promotion is committed locally/);
    expect(git(remote, 'rev-parse', 'main').trim()).toBe(before);
    expect(git(A, 'log', '-1', '--format=%s').trim()).toBe('prompts(development): promote a none -> 1.0.0');
  });

  it('rejections beyond the bound (PROMPTRAIL_PUSH_ATTEMPTS) exit 3 with the commit kept locally', async () => {
    const { remote, clone } = setup();
    const A = clone('alice');
    const B = clone('bob');
    expect((await prompts(A, ['promote', 'a@1.0.0', '--env', 'development', '--push'])).code).toBe(0);
    const res = await prompts(B, ['promote', 'b@1.0.0', '--env', 'development', '--push'], { PROMPTRAIL_PUSH_ATTEMPTS: '1' });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/push to origin\/main was rejected 1 times/);
    expect(Object.keys(remoteEnv(remote, 'development').prompts)).toEqual(['a']);
    expect(git(B, 'log', '-1', '--format=%s').trim()).toBe('prompts(development): promote b none -> 1.0.0');
  });
});

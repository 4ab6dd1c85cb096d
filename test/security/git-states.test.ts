/**
 * Issue 8 item 6: git states are respected. promote/rollback refuse (exit 3, with a hint) during
 * a merge, rebase, cherry-pick or bisect, on a detached HEAD (unless --no-commit) and when the
 * environment file has uncommitted edits, writing nothing; a re-run after a failed push pushes
 * the pending promotion commit instead of answering "nothing to do".
 */
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { arena, oneLine, untouched } from './arena.js';
import { GIT_ENV } from '../helpers/registry.js';

const PASSING = 'cases:\n  - name: ok\n    vars: { ticket: "hello" }\n    assert:\n      - { type: contains, value: "hello" }\n';

describe('git states', () => {
  it('refuses (exit 3) during a merge, a cherry-pick and a bisect, and on a detached HEAD; nothing is written', async () => {
    const a = arena({ suite: PASSING });
    // a merge that stops on a conflict
    a.git('checkout', '-q', '-b', 'side');
    a.write('notes.txt', 'side\n');
    a.commitAll('side');
    a.git('checkout', '-q', 'main');
    a.write('notes.txt', 'main\n');
    a.commitAll('main');
    expect(() => a.git('merge', '-q', 'side')).toThrow();
    let r = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development']), { repo: true });
    expect(r.exitCode).toBe(3);
    oneLine(r, /^error: refusing to commit: a merge is in progress in .* \(conclude it \("git commit"\) or abort it \("git merge --abort"\) first/);
    a.git('merge', '--abort');
    expect(() => a.git('cherry-pick', 'side')).toThrow();
    r = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development']), { repo: true });
    expect(r.exitCode).toBe(3);
    oneLine(r, /cherry-pick/);
    a.git('cherry-pick', '--abort');
    a.git('bisect', 'start');
    r = await untouched(a, () => a.run(['rollback', 'a', '--env', 'development', '--reason', 'x']), { repo: true });
    expect([1, 3]).toContain(r.exitCode); // nothing is pinned: that refusal (exit 1) or the bisect (3), never a write
    r = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development']), { repo: true });
    expect(r.exitCode).toBe(3);
    oneLine(r, /bisect.*git bisect reset/);
    a.git('bisect', 'reset');
    a.git('checkout', '-q', '--detach');
    r = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development']), { repo: true });
    expect(r.exitCode).toBe(3);
    oneLine(r, /detached HEAD.*git switch <branch>/);
    expect((await a.run(['promote', 'a@1.0.0', '--env', 'development', '--no-commit'])).exitCode).toBe(0);
  });

  it('refuses (exit 3) when the environment file has uncommitted edits, instead of sweeping them into its commit', async () => {
    const a = arena({ suite: PASSING });
    expect((await a.run(['promote', 'a@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    a.write('environments/development.yaml', `${a.read('environments/development.yaml')}# a note\n`);
    const r = await untouched(a, () => a.run(['promote', 'a@1.1.0', '--env', 'development']), { repo: true });
    expect(r.exitCode).toBe(3);
    oneLine(r, /environments\/development\.yaml.*uncommitted/);
  });

  it('a re-run after a rejected push pushes the pending promotion commit', async () => {
    const a = arena({ suite: PASSING });
    const remote = path.join(a.base, 'remote.git');
    execFileSync('git', ['init', '-q', '--bare', remote], { env: { ...process.env, ...GIT_ENV } });
    a.git('remote', 'add', 'origin', remote);
    a.git('push', '-q', '-u', 'origin', 'main');
    const hook = path.join(remote, 'hooks', 'pre-receive');
    fs.writeFileSync(hook, '#!/bin/sh\necho "down for maintenance" >&2\nexit 1\n', { mode: 0o755 });
    const first = await a.run(['promote', 'a@1.0.0', '--env', 'development', '--push']);
    expect(first.exitCode).not.toBe(0);
    fs.rmSync(hook);
    const again = await a.run(['promote', 'a@1.0.0', '--env', 'development', '--push']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already pinned[\s\S]*pushed 1 pending commit to .*prompts\(development\): promote a none -> 1\.0\.0/);
    expect(execFileSync('git', ['--git-dir', remote, 'log', '-1', '--format=%s', 'main'], { encoding: 'utf8' }).trim()).toBe('prompts(development): promote a none -> 1.0.0');
  });
});

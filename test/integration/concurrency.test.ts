/**
 * Many processes (the built CLI) writing one environment file at once, processes killed
 * mid-promote, and locks held by live or dead processes.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdirSync, existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, BIN } from '../helpers/cli.js';
import { GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { gitRegistry, envBytes, head, commitCount, UNGATED_CONFIG } from './env-helpers.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { getValidator } from '../../src/registry/schemas.js';
import { acquireLock } from '../../src/registry/lock.js';
import { ConflictError } from '../../src/errors.js';
import type { EnvironmentFile } from '../../src/core/types.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

const IDS = Array.from({ length: 10 }, (_, i) => `p${i}`);

function validEnv(text: string | null): EnvironmentFile {
  expect(text).not.toBeNull();
  const p = parseYaml(text!);
  expect(p.issues).toEqual([]);
  expect(getValidator('environment')(p.value)).toBe(true);
  return p.value as EnvironmentFile;
}

function lockFile(reg: TempRegistry): string {
  return path.join(reg.dir, '.prompts/locks/environments.lock');
}

describe('concurrency and crashes', () => {
  it('10 processes promoting 10 prompts into one env at once: all pinned, 10 commits, file valid', async () => {
    r = gitRegistry(UNGATED_CONFIG, Object.fromEntries(IDS.map((id) => [id, ['1.0.0']])));
    const before = commitCount(r);
    const results = await Promise.all(IDS.map((id) => cli(['promote', `${id}@1.0.0`, '--env', 'development', '--reason', `r-${id}`], { cwd: r.dir, timeout: 60000 })));
    for (const res of results) expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    const env = validEnv(envBytes(r, 'development'));
    expect(Object.keys(env.prompts).sort()).toEqual(IDS);
    for (const id of IDS) expect(env.prompts[id]).toMatchObject({ version: '1.0.0', reason: `r-${id}` });
    expect(commitCount(r)).toBe(before + 10);
    const subjects = r.git('log', `-10`, '--format=%s').trim().split('\n').sort();
    expect(subjects).toEqual(IDS.map((id) => `prompts(development): promote ${id} none -> 1.0.0`).sort());
    // every commit touched only the env file
    const files = r.git('log', '-10', '--format=', '--name-only').split('\n').filter(Boolean);
    expect(new Set(files)).toEqual(new Set(['environments/development.yaml']));
    expect(r.git('status', '--porcelain').trim()).toBe('');
  }, 90000);

  it('processes SIGKILLed mid-promote never leave a broken env file, and the next promote succeeds', async () => {
    r = gitRegistry(UNGATED_CONFIG, Object.fromEntries(IDS.slice(0, 6).map((id) => [id, ['1.0.0', '1.1.0']])));
    for (let i = 0; i < 6; i++) {
      const id = IDS[i]!;
      const child = spawn(process.execPath, [BIN, 'promote', `${id}@1.0.0`, '--env', 'development'], {
        cwd: r.dir,
        env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true' },
        stdio: 'ignore',
      });
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      await new Promise((res) => setTimeout(res, 60 + Math.floor(Math.random() * 400)));
      child.kill('SIGKILL');
      await exited;
      const text = envBytes(r, 'development');
      if (text !== null) validEnv(text);
      // the next promote (another prompt) works: a stale lock of the dead PID is broken
      const next = await cli(['promote', `${id}@1.1.0`, '--env', 'development'], { cwd: r.dir, timeout: 60000 });
      expect(next, next.stderr).toMatchObject({ exitCode: 0 });
      expect(validEnv(envBytes(r, 'development')).prompts[id]!.version).toBe('1.1.0');
    }
    expect(existsSync(lockFile(r))).toBe(false);
    // no temp files of dead processes are left behind
    expect(r.git('status', '--porcelain', '--untracked-files=all').trim()).toBe('');
  }, 120000);

  it('a lock held by a live process: exit 3 naming the PID after a bounded wait, nothing written', async () => {
    r = gitRegistry();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      mkdirSync(path.dirname(lockFile(r)), { recursive: true });
      writeFileSync(lockFile(r), JSON.stringify({ pid: sleeper.pid, host: os.hostname(), at: '2026-11-22T10:00:00Z', command: 'prompts promote x --env development' }));
      const h = head(r);
      const res = await cli(['promote', 'a@1.0.0', '--env', 'development'], { cwd: r.dir, env: { PROMPTRAIL_LOCK_TIMEOUT_MS: '300' } });
      expect(res.exitCode).toBe(3);
      expect(res.stderr).toContain(`environment files are locked by process ${sleeper.pid} (prompts promote x --env development)`);
      expect(res.stderr).toContain('.prompts/locks/environments.lock');
      expect(envBytes(r, 'development')).toBeNull();
      expect(head(r)).toBe(h);
      expect(JSON.parse(readFileSync(lockFile(r), 'utf8')).pid).toBe(sleeper.pid); // not broken
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('a stale lock of a dead process is broken', async () => {
    r = gitRegistry();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(path.dirname(lockFile(r)), { recursive: true });
    writeFileSync(lockFile(r), JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), at: '2026-11-22T10:00:00Z' }));
    const res = await cli(['promote', 'a@1.0.0', '--env', 'development'], { cwd: r.dir, env: { PROMPTRAIL_LOCK_TIMEOUT_MS: '300' } });
    expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    expect(existsSync(lockFile(r))).toBe(false);
  });
});

describe('acquireLock (in process)', () => {
  // lock folders of their own in the temp folder, removed after each test
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const lockDir = (): string => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'promptrail-lock-'));
    made.push(d);
    return d;
  };
  it('serializes holders and times out with a ConflictError naming the holder', async () => {
    const dir = lockDir();
    const a = await acquireLock(dir, 'x');
    await expect(acquireLock(dir, 'x', { timeoutMs: 100, command: 'second' })).rejects.toThrow(ConflictError);
    await expect(acquireLock(dir, 'x', { timeoutMs: 100 })).rejects.toThrow(`locked by process ${process.pid}`);
    const waiting = acquireLock(dir, 'x', { timeoutMs: 5000 });
    setTimeout(() => a.release(), 50);
    const b = await waiting;
    b.release();
    expect(existsSync(path.join(dir, 'x.lock'))).toBe(false);
  });

  it('an unreadable lock file is stale only after a while', async () => {
    const dir = lockDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'x.lock'), 'garbage');
    await expect(acquireLock(dir, 'x', { timeoutMs: 100 })).rejects.toThrow(/locked by another process/);
  });

  it('a lock path that cannot be read (a directory) times out with a ConflictError instead of spinning', async () => {
    const dir = lockDir();
    mkdirSync(path.join(dir, 'x.lock'), { recursive: true });
    // before the fix this looped forever at 100% CPU (the test timed out)
    await expect(acquireLock(dir, 'x', { timeoutMs: 200 })).rejects.toThrow(ConflictError);
  });
});

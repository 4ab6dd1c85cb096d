import { describe, it, expect, afterEach } from 'vitest';
import { appendFileSync, unlinkSync } from 'node:fs';
import * as path from 'node:path';
import type { TempRegistry } from '../helpers/registry.js';
import { prompts, envBytes, readEnv, head, gitRegistry, promptYaml } from './env-helpers.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

async function chain(): Promise<TempRegistry> {
  const reg = gitRegistry();
  for (const v of ['1.0.0', '1.1.0', '1.2.0']) expect((await prompts(reg.dir, ['promote', `a@${v}`, '--env', 'development'])).code).toBe(0);
  return reg;
}

describe('prompts rollback', () => {
  it('walks back the chain 1.2.0 -> 1.1.0 -> 1.0.0, then "nothing to roll back" (exit 1)', async () => {
    r = await chain();
    let res = await prompts(r.dir, ['rollback', 'a', '--env', 'development', '--reason', 'latency spike']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^rolled back a 1\.2\.0 -> 1\.1\.0 in development \(commit [0-9a-f]{12}\)\n$/);
    expect(readEnv(r, 'development').prompts.a).toMatchObject({ version: '1.1.0', previous: '1.0.0', reason: 'latency spike' });
    expect(r.git('log', '-1', '--format=%s%n%b')).toMatch(/^prompts\(development\): rollback a 1\.2\.0 -> 1\.1\.0\nReason: latency spike/);
    res = await prompts(r.dir, ['rollback', 'a', '--env', 'development']);
    expect(res.code).toBe(0);
    expect(readEnv(r, 'development').prompts.a).toMatchObject({ version: '1.0.0', previous: null });
    const before = envBytes(r, 'development');
    const h = head(r);
    res = await prompts(r.dir, ['rollback', 'a', '--env', 'development']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/nothing to roll back: a@1\.0\.0 in "development" has no recorded previous version/);
    expect(envBytes(r, 'development')).toBe(before);
    expect(head(r)).toBe(h);
    // the rollbacks are in the history
    expect(readEnv(r, 'development').prompts.a!.history.slice(0, 2).map((e) => [e.action, e.from, e.version])).toEqual([
      ['rollback', '1.1.0', '1.0.0'],
      ['rollback', '1.2.0', '1.1.0'],
    ]);
  });

  it('--to picks a version from history', async () => {
    r = await chain();
    const res = await prompts(r.dir, ['rollback', 'a', '--env', 'development', '--to', '1.0.0']);
    expect(res.code).toBe(0);
    expect(readEnv(r, 'development').prompts.a).toMatchObject({ version: '1.0.0', previous: null });
  });

  it('--dry-run and --json', async () => {
    r = await chain();
    const before = envBytes(r, 'development');
    const h = head(r);
    let res = await prompts(r.dir, ['rollback', 'a', '--env', 'development', '--dry-run']);
    expect(res.stdout).toMatch(/would roll back a 1\.2\.0 -> 1\.1\.0 in development\n {2}previous becomes: 1\.0\.0/);
    res = await prompts(r.dir, ['--json', 'rollback', 'a', '--env', 'development', '--dry-run']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, dryRun: true, action: 'rollback', from: '1.2.0', to: '1.1.0', previous: '1.0.0' });
    expect(envBytes(r, 'development')).toBe(before);
    expect(head(r)).toBe(h);
    res = await prompts(r.dir, ['--json', 'rollback', 'a', '--env', 'development']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, action: 'rollback', from: '1.2.0', to: '1.1.0', previous: '1.0.0', commit: head(r) });
  });

  describe('refusals write nothing', () => {
    async function refuses(args: string[], code: number, message: RegExp, setup?: (r: TempRegistry) => void): Promise<void> {
      r = await chain();
      setup?.(r);
      const before = envBytes(r, 'development');
      const h = head(r);
      const res = await prompts(r.dir, args);
      expect(res.stderr).toMatch(message);
      expect(res.code).toBe(code);
      expect(envBytes(r, 'development')).toBe(before);
      expect(head(r)).toBe(h);
    }
    it('not pinned in that env (exit 1)', () => refuses(['rollback', 'a', '--env', 'staging'], 1, /nothing to roll back: a is not pinned in "staging"/));
    it('--to a version on disk but not in history (exit 1)', () =>
      refuses(['rollback', 'a', '--env', 'development', '--to', '1.3.0'], 1, /not in the recorded history/, (reg) => reg.write('prompts/a/1.3.0.yaml', promptYaml('a', '1.3.0'))));
    it('--to a version that exists nowhere (exit 2, like any unknown version)', () => refuses(['rollback', 'a', '--env', 'development', '--to', '9.9.9'], 2, /prompt "a" has no version 9\.9\.9/));
    it('--to an invalid version (exit 2)', () => refuses(['rollback', 'a', '--env', 'development', '--to', 'v1'], 2, /not a strict semver/));
    it('unknown env (exit 2)', () => refuses(['rollback', 'a', '--env', 'qa'], 2, /unknown environment "qa"/));
    it('unknown prompt (exit 2)', () => refuses(['rollback', 'b', '--env', 'development'], 2, /unknown prompt "b"/));
    it('the restored file changed since it was pinned (exit 1)', () =>
      refuses(['rollback', 'a', '--env', 'development'], 1, /changed since it was pinned/, (reg) => {
        appendFileSync(path.join(reg.dir, 'prompts/a/1.1.0.yaml'), '# sneaky edit\n');
        reg.commitAll('edit a released version');
      }));
    it('the restored file is gone (exit 1)', () =>
      refuses(['rollback', 'a', '--env', 'development'], 1, /no longer exists/, (reg) => {
        unlinkSync(path.join(reg.dir, 'prompts/a/1.1.0.yaml'));
        reg.commitAll('delete');
      }));
    it('uncommitted edits to the restored file are caught by the sha256 check (exit 1)', () =>
      refuses(['rollback', 'a', '--env', 'development', '--to', '1.1.0'], 1, /changed since it was pinned/, (reg) => appendFileSync(path.join(reg.dir, 'prompts/a/1.1.0.yaml'), '# edit\n')));
  });
});

import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeRegistry, GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { prompts, gitRegistry, UNGATED_CONFIG } from './env-helpers.js';

let r: TempRegistry;
afterEach(() => r?.cleanup());

describe('prompts history', () => {
  it('keeps commits whose env-file entries were dropped by history_limit, and entries without a commit', async () => {
    r = gitRegistry(`history_limit: 1\n${UNGATED_CONFIG}`);
    for (const v of ['1.0.0', '1.1.0']) expect((await prompts(r.dir, ['promote', `a@${v}`, '--env', 'development', '--reason', `to ${v}`])).code).toBe(0);
    expect((await prompts(r.dir, ['promote', 'a@1.2.0', '--env', 'development', '--no-commit'])).code).toBe(0);
    const res = await prompts(r.dir, ['--json', 'history', 'a']);
    const h = JSON.parse(res.stdout);
    expect(h.git).toBe(true);
    expect(h.entries.map((e: { from: string | null; to: string; source: string; reason: string | null }) => [e.from, e.to, e.source, e.reason])).toEqual([
      ['1.1.0', '1.2.0', 'env-file', null],
      ['1.0.0', '1.1.0', 'git', 'to 1.1.0'],
      [null, '1.0.0', 'git', 'to 1.0.0'],
    ]);
    const text = await prompts(r.dir, ['history', 'a']);
    expect(text.stdout).toMatch(/development {2}promote {2}1\.1\.0 -> 1\.2\.0 {2}\(no commit\)/);
  });

  it('other prompts and non-promptrail commits are left out; --env filters', async () => {
    r = gitRegistry(UNGATED_CONFIG, { a: ['1.0.0'], b: ['1.0.0'] });
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    await prompts(r.dir, ['promote', 'b@1.0.0', '--env', 'development']);
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'staging']);
    r.write('environments/README.md', 'hand-written\n');
    r.commitAll('docs');
    let h = JSON.parse((await prompts(r.dir, ['--json', 'history', 'a'])).stdout);
    expect(h.entries.map((e: { env: string }) => e.env)).toEqual(['staging', 'development']);
    h = JSON.parse((await prompts(r.dir, ['--json', 'history', 'a', '--env', 'development'])).stdout);
    expect(h.entries).toHaveLength(1);
    const none = await prompts(r.dir, ['history', 'b', '--env', 'staging']);
    expect(none).toMatchObject({ code: 0, stdout: 'b has no promotion history yet\n' });
    const bad = await prompts(r.dir, ['history', 'a', '--env', 'qa']);
    expect(bad.code).toBe(2);
  });

  it('in a shallow clone (CI checkouts), entries whose commit was not fetched are not claimed to have none', async () => {
    r = gitRegistry(UNGATED_CONFIG);
    for (const v of ['1.0.0', '1.1.0']) expect((await prompts(r.dir, ['promote', `a@${v}`, '--env', 'development'])).code).toBe(0);
    const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-shallow-')));
    try {
      const dir = path.join(base, 'clone');
      execFileSync('git', ['clone', '-q', '--depth', '1', `file://${r.dir}`, dir], { env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
      const h = JSON.parse((await prompts(dir, ['--json', 'history', 'a'])).stdout);
      expect(h).toMatchObject({ git: true, shallow: true });
      const noCommit = Object.fromEntries(h.entries.map((e: { to: string; commit: unknown }) => [e.to, e.commit === null]));
      expect(noCommit).toEqual({ '1.1.0': false, '1.0.0': true });
      const text = await prompts(dir, ['history', 'a']);
      expect(text.stdout).toMatch(/none -> 1\.0\.0 {2}\(no commit in this shallow clone\)/);
      expect(text.stdout).not.toMatch(/\(no commit\)/);
      expect(text.stderr).toMatch(/shallow clone.*git fetch --unshallow/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('outside git: the env-file history only, with a note', async () => {
    r = makeRegistry({ git: false, config: UNGATED_CONFIG, prompts: { a: ['1.0.0'] } });
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    const res = await prompts(r.dir, ['history', 'a']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/development {2}promote {2}none -> 1\.0\.0 {2}\(no commit\)/);
    expect(res.stderr).toMatch(/not a git repository/);
  });
});

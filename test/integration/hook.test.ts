import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { prompts, snapshot } from './registry-cmd-helpers.js';
import { makeRegistry, GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { HOOK_MARKER, hookScript } from '../../src/git/hooks.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const hookFile = (r: TempRegistry, rel = '.git/hooks/pre-commit'): string => path.join(r.dir, rel);

describe('prompts hook install', () => {
  it('writes an executable pre-commit hook running validate --staged for the registry', async () => {
    reg = makeRegistry({ git: true });
    const r = await prompts(reg.dir, ['hook', 'install']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('installed pre-commit hook .git/hooks/pre-commit');
    const f = hookFile(reg);
    const text = readFileSync(f, 'utf8');
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain(HOOK_MARKER);
    expect(text).toContain('validate --staged');
    expect(text).toContain('node_modules/.bin/prompts');
    expect(text).toContain('npx --no-install prompts');
    expect(text).toBe(hookScript(''));
    expect(statSync(f).mode & 0o111).toBe(0o111);
  });

  it('for a registry in a sub-folder, the hook runs with -C <that folder> (quoted)', async () => {
    reg = makeRegistry({ git: true, config: null });
    reg.write("my prompts/it's here/prompts.config.yaml", 'prompts_dir: prompts\n');
    const r = await prompts(path.join(reg.dir, "my prompts/it's here"), ['--json', 'hook', 'install']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, action: 'installed', registry: "my prompts/it's here" });
    expect(readFileSync(hookFile(reg), 'utf8')).toContain(`REGISTRY="$REPO_ROOT"/'my prompts/it'\\''s here'`);
  });

  it('re-installing replaces its own hook silently, or reports it up to date', async () => {
    reg = makeRegistry({ git: true });
    await prompts(reg.dir, ['hook', 'install']);
    const again = await prompts(reg.dir, ['--json', 'hook', 'install']);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'unchanged' });
    writeFileSync(hookFile(reg), `#!/bin/sh\n${HOOK_MARKER}\necho old version\n`);
    const upd = await prompts(reg.dir, ['--json', 'hook', 'install']);
    expect(upd.code).toBe(0);
    expect(JSON.parse(upd.stdout)).toMatchObject({ action: 'updated', backup: null });
    expect(readFileSync(hookFile(reg), 'utf8')).toBe(hookScript(''));
  });

  it('never overwrites a foreign hook without --force (exit 2); --force keeps it as a backup', async () => {
    reg = makeRegistry({ git: true });
    writeFileSync(hookFile(reg), '#!/bin/sh\necho mine\n', { mode: 0o755 });
    const before = snapshot(path.join(reg.dir, '.git/hooks'));
    const r = await prompts(reg.dir, ['hook', 'install']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('.git/hooks/pre-commit already exists and was not written by promptrail; not overwriting it');
    expect(r.stderr).toContain('--force');
    expect(snapshot(path.join(reg.dir, '.git/hooks'))).toEqual(before);
    const f = await prompts(reg.dir, ['--json', 'hook', 'install', '--force']);
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout)).toMatchObject({ action: 'replaced', backup: `${hookFile(reg)}.before-promptrail`, chained: `${hookFile(reg)}.before-promptrail` });
    expect(readFileSync(`${hookFile(reg)}.before-promptrail`, 'utf8')).toBe('#!/bin/sh\necho mine\n');
    expect(readFileSync(hookFile(reg), 'utf8')).toBe(hookScript('', undefined, 'pre-commit.before-promptrail'));
  });

  it('--force chains the previous hook: it runs after a passing validate, its failure blocks, a re-install keeps the chain', async () => {
    reg = makeRegistry({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    const log = path.join(reg.dir, '.git/previous.log');
    writeFileSync(hookFile(reg), `#!/bin/sh\necho "previous hook ran" >> "${log}"\nexit "\${PREVIOUS_EXIT:-0}"\n`, { mode: 0o755 });
    const f = await prompts(reg.dir, ['hook', 'install', '--force']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.stderr).toContain("runs after promptrail's check passes");
    const commit = (msg: string, env: Record<string, string> = {}): number =>
      spawnSync('git', ['commit', '-q', '-m', msg], { cwd: reg!.dir, env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', ...env }, encoding: 'utf8' }).status ?? -1;
    const ran = (): number => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
    reg.git('add', '-A');
    expect(commit('good')).toBe(0);
    expect(ran()).toBe(1);
    // a broken staged prompt: ours blocks, the previous hook does not run
    reg.write('prompts/support/triage/1.1.0.yaml', 'id: support/triage\nversion: 1.1.0\n');
    reg.git('add', '-A');
    expect(commit('broken')).not.toBe(0);
    expect(ran()).toBe(1);
    reg.git('rm', '-q', '--cached', 'prompts/support/triage/1.1.0.yaml');
    // the previous hook's own failure still blocks the commit
    writeFileSync(path.join(reg.dir, 'notes.md'), 'x\n');
    reg.git('add', 'notes.md');
    expect(commit('notes', { PREVIOUS_EXIT: '3' })).not.toBe(0);
    expect(ran()).toBe(2);
    expect(reg.git('log', '--format=%s').trim()).toBe('good');
    // re-installing (our hook, updated) keeps the chain while the file is there
    writeFileSync(hookFile(reg), readFileSync(hookFile(reg), 'utf8').replace('# Installed by', '# edited\n# Installed by'));
    const again = await prompts(reg.dir, ['--json', 'hook', 'install']);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'updated', chained: `${hookFile(reg)}.before-promptrail` });
    expect(commit('notes')).toBe(0);
    expect(ran()).toBe(3);
  });

  it('honours core.hooksPath', async () => {
    reg = makeRegistry({ git: true });
    reg.git('config', 'core.hooksPath', '.githooks');
    const r = await prompts(reg.dir, ['hook', 'install']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(reg.dir, '.githooks/pre-commit'))).toBe(true);
    expect(existsSync(hookFile(reg))).toBe(false);
    // a hooks folder in the work tree is shared through git: no machine-specific CLI path in it
    expect(readFileSync(path.join(reg.dir, '.githooks/pre-commit'), 'utf8')).toBe(hookScript('', null));
    mkdirSync(path.join(reg.dir, 'abs-hooks'));
    reg.git('config', 'core.hooksPath', path.join(reg.dir, 'abs-hooks'));
    await prompts(reg.dir, ['hook', 'install']);
    expect(existsSync(path.join(reg.dir, 'abs-hooks/pre-commit'))).toBe(true);
  });

  it('outside git: exit 2, nothing written', async () => {
    reg = makeRegistry();
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['hook', 'install']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not in a git repository');
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it('outside any registry: exit 2', async () => {
    reg = makeRegistry({ git: true, config: null });
    const r = await prompts(reg.dir, ['hook', 'install']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no promptrail registry found');
  });
});

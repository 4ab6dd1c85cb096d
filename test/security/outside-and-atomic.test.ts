/**
 * Issue 8 items 5 and 7: nothing outside the repository is read as state or written (no symbolic
 * link followed for .prompts/, locks, caches, reports, environments/ or prompts/; the folders
 * stay inside, exit 2; a dangling link at the lock never makes promote spin; special files are
 * refused unread), and writes never half-happen (modes kept, killed runs' temp files swept).
 */
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arena, oneLine, untouched } from './arena.js';

const PASSING = 'cases:\n  - name: ok\n    vars: { ticket: "hello" }\n    assert:\n      - { type: contains, value: "hello" }\n';

describe('nothing outside the repository', () => {
  it('prompts_dir or environments_dir reached through a symbolic link is a usage error (exit 2); nothing outside is read or written', async () => {
    const a = arena({ suite: PASSING });
    fs.cpSync(path.join(a.dir, 'prompts'), path.join(a.outside, 'prompts'), { recursive: true });
    fs.mkdirSync(path.join(a.outside, 'envs'));
    a.write('prompts.config.yaml', `prompts_dir: linked\nenvironments_dir: envs\n${a.read('prompts.config.yaml')}`);
    fs.symlinkSync(path.join(a.outside, 'prompts'), path.join(a.dir, 'linked'));
    fs.symlinkSync(path.join(a.outside, 'envs'), path.join(a.dir, 'envs'));
    a.commitAll('pr: folders elsewhere');
    const v = await untouched(a, () => a.run(['validate']));
    expect(v.exitCode).not.toBe(0);
    expect(v.stdout).toMatch(/^prompts\.config\.yaml$/m);
    expect(v.stdout).toMatch(/ {2}1:1 +error +"environments_dir" \(envs\) must be a real folder inside the registry, but envs is a symbolic link; promptrail never reads or writes through a symbolic link +config-dir-invalid/);
    expect(v.stdout).toMatch(/ {2}1:1 +error +"prompts_dir" \(linked\) must be a real folder inside the registry, but .* promptrail never reads or writes through a symbolic link +config-dir-invalid/);
    const p = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development']), { repo: true });
    expect(p.exitCode).toBe(2);
    oneLine(p, /symbolic link|real folder/);
  });

  it('.prompts/ as a symbolic link to a folder outside: validate and eval write nothing there', async () => {
    const a = arena({ suite: PASSING });
    fs.symlinkSync(path.join(a.outside, 'cache'), path.join(a.dir, '.prompts'));
    await untouched(a, () => a.run(['validate']));
    await untouched(a, () => a.run(['eval', 'a@1.1.0']));
    expect(fs.readdirSync(path.join(a.outside, 'cache'))).toEqual([]);
  });

  it('a dangling symbolic link at the lock makes promote fail at once, not spin past PROMPTRAIL_LOCK_TIMEOUT_MS', async () => {
    const a = arena({ suite: PASSING });
    fs.mkdirSync(path.join(a.dir, '.prompts/locks'), { recursive: true });
    fs.symlinkSync(path.join(a.outside, 'nowhere.lock'), path.join(a.dir, '.prompts/locks/environments.lock'));
    const t0 = Date.now();
    const r = await untouched(a, () => a.run(['promote', 'a@1.0.0', '--env', 'development'], { env: { PROMPTRAIL_LOCK_TIMEOUT_MS: '60000' }, timeout: 20000 }), { repo: true });
    expect(Date.now() - t0).toBeLessThan(15000);
    expect(r.exitCode).not.toBe(0);
    oneLine(r, /symbolic link/);
    expect(fs.existsSync(path.join(a.outside, 'nowhere.lock'))).toBe(false);
  });

  it('a version file that is /dev/zero (through a link) or a fifo is refused without being read', async () => {
    const a = arena({ suite: PASSING });
    fs.symlinkSync('/dev/zero', path.join(a.dir, 'prompts/a/1.2.0.yaml'));
    const v = await a.run(['validate'], { timeout: 20000 });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/prompts\/a\/1\.2\.0\.yaml/);
    const p = await untouched(a, () => a.run(['promote', 'a@1.2.0', '--env', 'development'], { timeout: 20000 }), { repo: true });
    expect(p.exitCode).not.toBe(0);
    oneLine(p, /prompts\/a\/1\.2\.0\.yaml/);
  });
});

describe('writes never half-happen', () => {
  it("promote keeps the environment file's mode; temp files of killed runs are swept, a live run's are left", async () => {
    const a = arena({ suite: PASSING });
    expect((await a.run(['promote', 'a@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    const env = path.join(a.dir, 'environments/development.yaml');
    fs.chmodSync(env, 0o640);
    a.commitAll('mode');
    // a temp file of a dead process (pid far beyond pid_max) and one of this live process
    const dead = path.join(a.dir, 'environments/.development.yaml.999999999.0123456789ab.tmp');
    const live = path.join(a.dir, `environments/.development.yaml.${process.pid}.0123456789ab.tmp`);
    fs.writeFileSync(dead, 'half');
    fs.writeFileSync(live, 'in flight');
    expect((await a.run(['promote', 'a@1.1.0', '--env', 'development', '--no-commit'])).exitCode).toBe(0);
    expect(fs.statSync(env).mode & 0o777).toBe(0o640);
    expect(fs.existsSync(dead)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
  });

  it('bump creates the new version file whole, with no temp file left beside it', async () => {
    const a = arena({ suite: PASSING });
    const r = await a.run(['bump', 'a', 'minor']);
    expect(r.exitCode, r.stderr).toBe(0);
    const names = fs.readdirSync(path.join(a.dir, 'prompts/a'));
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(fs.readFileSync(path.join(a.dir, 'prompts/a/1.2.0.yaml'), 'utf8')).toMatch(/^id: a$[\s\S]*version: 1\.2\.0/m);
  });
});

/**
 * The pre-commit framework (https://pre-commit.com) installing this repository's hook the way a
 * user's `.pre-commit-config.yaml` does (`repo:` + `rev:`), from a copy of this checkout that
 * has never been built (no dist/, no node_modules), with a fresh PRE_COMMIT_HOME: its
 * `language: node` install (npm install, npm pack, npm install -g in pre-commit 3.x; npm install
 * -g git+file:// in >= 4.6.1) must build promptrail, and real `git commit`s then run the hook.
 *
 * Runs Debian's pre-commit by default; PROMPTRAIL_PRE_COMMIT names another executable (e.g. a
 * wrapper running a newer release from source) to check that one by hand.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeWithTool } from '../helpers/tools.js';
import { GIT_ENV, promptYaml } from '../helpers/registry.js';
import { cli } from '../helpers/cli.js';

const PRE_COMMIT = process.env.PROMPTRAIL_PRE_COMMIT || 'pre-commit';
const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_TIMEOUT = 600_000;

describeWithTool(PRE_COMMIT, ['--version'], 'the pre-commit framework installs and runs promptrail-validate', () => {
  let tmp: string;
  let hookRepo: string;
  let user: string;
  let home: string;
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, ...GIT_ENV, PRE_COMMIT_HOME: home, NO_COLOR: '1', CI: 'true', PRE_COMMIT_COLOR: 'never' });
  const run = (cmd: string, args: string[], cwd: string, timeout = 120_000): { code: number; out: string } => {
    const r = spawnSync(cmd, args, { cwd, env: env(), encoding: 'utf8', timeout });
    return { code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
  };
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const commit = (msg: string): { code: number; out: string } => run('git', ['commit', '-m', msg], user, INSTALL_TIMEOUT);
  const log = (): string[] => git(user, 'log', '--format=%s').trim().split('\n');

  beforeAll(async () => {
    tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-pre-commit-')));
    hookRepo = path.join(tmp, 'promptrail');
    user = path.join(tmp, 'project');
    home = path.join(tmp, 'pre-commit-home');
    // the hook repository: this checkout's files as they are now (tracked, or new and not ignored;
    // never built), committed, as a user's `rev:` names a commit
    const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: CHECKOUT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const rel of tracked) {
      const from = path.join(CHECKOUT, rel);
      if (!existsSync(from)) continue; // deleted, not yet committed
      mkdirSync(path.dirname(path.join(hookRepo, rel)), { recursive: true });
      copyFileSync(from, path.join(hookRepo, rel));
    }
    expect(existsSync(path.join(hookRepo, 'dist'))).toBe(false);
    git(hookRepo, 'init', '-q', '-b', 'main');
    git(hookRepo, 'add', '-A');
    git(hookRepo, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'promptrail as released');
    const rev = git(hookRepo, 'rev-parse', 'HEAD').trim();

    mkdirSync(user);
    git(user, 'init', '-q', '-b', 'main');
    git(user, 'config', 'commit.gpgsign', 'false');
    const init = await cli(['init'], { cwd: user });
    expect(init.exitCode, init.stderr).toBe(0);
    writeFileSync(path.join(user, '.pre-commit-config.yaml'), `repos:\n  - repo: ${hookRepo}\n    rev: ${rev}\n    hooks:\n      - id: promptrail-validate\n`);
    const install = run(PRE_COMMIT, ['install'], user);
    expect(install.code, install.out).toBe(0);
    const hooks = run(PRE_COMMIT, ['install-hooks'], user, INSTALL_TIMEOUT);
    expect(hooks.code, hooks.out).toBe(0);
  }, INSTALL_TIMEOUT + 60_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('installed with the system node (no node download), from sources only', () => {
    const envs = readdirSync(home).flatMap((d) => (existsSync(path.join(home, d, 'node_env-system')) ? [d] : []));
    expect(envs).toHaveLength(1);
    expect(existsSync(path.join(home, envs[0]!, 'node_env-system/bin/prompts'))).toBe(true);
    expect(readdirSync(home).some((d) => existsSync(path.join(home, d, 'node_env-default')))).toBe(false);
  });

  it('a good commit passes; a broken staged file is blocked and named; broken unstaged or untracked files do not block', () => {
    writeFileSync(path.join(user, 'prompts/.keep'), '');
    git(user, 'add', '-A');
    const first = commit('registry');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/promptrail validate\.+Passed/);

    mkdirSync(path.join(user, 'prompts/support/triage'), { recursive: true });
    writeFileSync(path.join(user, 'prompts/support/triage/1.0.0.yaml'), promptYaml('support/triage', '1.0.0'));
    git(user, 'add', 'prompts/support/triage/1.0.0.yaml');
    const good = commit('triage 1.0.0');
    expect(good.code, good.out).toBe(0);
    expect(log()[0]).toBe('triage 1.0.0');

    // broken and staged: blocked, naming the file
    writeFileSync(path.join(user, 'prompts/support/triage/1.1.0.yaml'), 'id: support/triage\nversion: 1.1.0\nmodel: { provider: offline }\n');
    git(user, 'add', 'prompts/support/triage/1.1.0.yaml');
    const blocked = commit('broken 1.1.0');
    expect(blocked.code, blocked.out).not.toBe(0);
    expect(blocked.out).toMatch(/promptrail validate\.+Failed/);
    expect(blocked.out).toContain('prompts/support/triage/1.1.0.yaml');
    expect(log()[0]).toBe('triage 1.0.0');
    git(user, 'rm', '-q', '--cached', 'prompts/support/triage/1.1.0.yaml');

    // the broken 1.1.0 stays untracked and 1.0.0 gets a broken unstaged edit; a good staged
    // file is committed, and the unstaged edit is still there afterwards
    const good100 = readFileSync(path.join(user, 'prompts/support/triage/1.0.0.yaml'), 'utf8');
    writeFileSync(path.join(user, 'prompts/support/triage/1.0.0.yaml'), 'id: [unclosed\n');
    mkdirSync(path.join(user, 'prompts/summarize'));
    writeFileSync(path.join(user, 'prompts/summarize/1.0.0.yaml'), promptYaml('summarize', '1.0.0'));
    git(user, 'add', 'prompts/summarize/1.0.0.yaml');
    const unaffected = commit('summarize 1.0.0');
    expect(unaffected.code, unaffected.out).toBe(0);
    expect(log()[0]).toBe('summarize 1.0.0');
    expect(readFileSync(path.join(user, 'prompts/support/triage/1.0.0.yaml'), 'utf8')).toBe('id: [unclosed\n');
    expect(git(user, 'show', 'HEAD:prompts/support/triage/1.0.0.yaml')).toBe(good100);
  }, INSTALL_TIMEOUT);

  it('a commit that touches no registry file passes without output from promptrail', () => {
    writeFileSync(path.join(user, 'notes.md'), 'hello\n');
    git(user, 'add', 'notes.md');
    const r = run('git', ['commit', '-m', 'notes'], user);
    expect(r.code, r.out).toBe(0);
    const verbose = run(PRE_COMMIT, ['run', '--verbose', 'promptrail-validate'], user);
    expect(verbose.code, verbose.out).toBe(0);
    expect(verbose.out).toMatch(/promptrail validate\.+Passed/);
    expect(verbose.out).not.toContain('error');
    expect(verbose.out).not.toMatch(/\d+ errors?, \d+ warnings?/);
  });
});

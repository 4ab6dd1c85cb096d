/**
 * The README's husky and lint-staged recipes, taken from the README itself and run with the real
 * husky and lint-staged (devDependencies of this repository, linked into the project) and real
 * `git commit`s, in a `"type": "commonjs"` package (npm's default) and a `"type": "module"` one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN, cli } from '../helpers/cli.js';
import { GIT_ENV, promptYaml } from '../helpers/registry.js';

const CHECKOUT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(path.join(CHECKOUT, 'README.md'), 'utf8');
const section = README.slice(README.indexOf('### husky + lint-staged'), README.indexOf('### GitHub Actions'));
/** the husky recipe: the first ```sh block of the section */
const HUSKY = /```sh\n([\s\S]*?)```/.exec(section)![1]!.trim();
/** the lint-staged config: its file name as the section names it, and the ```js block */
const LS_FILE = /`(lint-staged\.config\.[a-z]+)`/.exec(section)![1]!;
const LS_CONFIG = /```js\n([\s\S]*?)```/.exec(section)![1]!;
const LS_HOOK = /echo "(npx lint-staged)" > \.husky\/pre-commit/.exec(section)![1]!;

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

const env = (): NodeJS.ProcessEnv => ({ ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true', npm_config_yes: 'false', npm_config_offline: 'true' });
const sh = (cwd: string, script: string): { code: number; out: string } => {
  const r = spawnSync('sh', ['-c', script], { cwd, env: env(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A project with promptrail, husky and lint-staged installed (linked), a registry, git. */
async function project(type: 'commonjs' | 'module'): Promise<string> {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-recipes-')));
  const dir = path.join(tmp, 'app');
  mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
  git(tmp, 'init', '-q', '-b', 'main', dir);
  git(dir, 'config', 'commit.gpgsign', 'false');
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', private: true, type }, null, 2)}\n`);
  writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  const shim = path.join(dir, 'node_modules/.bin/prompts');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  for (const [pkg, bin] of [['husky', 'bin.js'], ['lint-staged', 'bin/lint-staged.js']] as const) {
    symlinkSync(path.join(CHECKOUT, 'node_modules', pkg), path.join(dir, 'node_modules', pkg));
    symlinkSync(path.join('..', pkg, bin), path.join(dir, 'node_modules/.bin', pkg));
  }
  const init = await cli(['init'], { cwd: dir });
  expect(init.exitCode, init.stderr).toBe(0);
  return dir;
}

/** good commit passes; a broken staged file is blocked and named; a broken untracked one does not block */
function commitsAreGuarded(dir: string): void {
  git(dir, 'add', '-A');
  const first = sh(dir, 'git commit -q -m registry');
  expect(first.code, first.out).toBe(0);
  mkdirSync(path.join(dir, 'prompts/support/triage'), { recursive: true });
  writeFileSync(path.join(dir, 'prompts/support/triage/1.0.0.yaml'), promptYaml('support/triage', '1.0.0'));
  git(dir, 'add', '-A');
  const good = sh(dir, 'git commit -q -m good');
  expect(good.code, good.out).toBe(0);
  writeFileSync(path.join(dir, 'prompts/support/triage/1.1.0.yaml'), 'id: support/triage\nversion: 1.1.0\nmodel: { provider: offline }\n');
  git(dir, 'add', '-A');
  const blocked = sh(dir, 'git commit -q -m broken');
  expect(blocked.code, blocked.out).not.toBe(0);
  expect(blocked.out).toContain('prompts/support/triage/1.1.0.yaml');
  git(dir, 'rm', '-q', '--cached', 'prompts/support/triage/1.1.0.yaml');
  writeFileSync(path.join(dir, 'prompts/support/triage/evals.yaml'), 'cases:\n  - name: a\n    vars: { ticket: x }\n    assert: [{ type: contains, value: x }]\n');
  git(dir, 'add', 'prompts/support/triage/evals.yaml');
  const unaffected = sh(dir, 'git commit -q -m suite');
  expect(unaffected.code, unaffected.out).toBe(0);
  expect(git(dir, 'log', '--format=%s').trim().split('\n')).toEqual(['suite', 'good', 'registry']);
}

describe('README git hook recipes, with the real husky and lint-staged', { timeout: 120_000 }, () => {
  it('the recipes are where the test reads them', () => {
    expect(HUSKY).toBe('npx husky init && echo "npx prompts validate --staged" > .husky/pre-commit');
    expect(LS_CONFIG).toContain("() => 'prompts validate --staged'");
  });

  for (const type of ['commonjs', 'module'] as const) {
    it(`husky: ${type} package`, async () => {
      const dir = await project(type);
      const r = sh(dir, HUSKY);
      expect(r.code, r.out).toBe(0);
      expect(git(dir, 'config', 'core.hooksPath').trim()).toBe('.husky/_');
      commitsAreGuarded(dir);
    });

    it(`husky + lint-staged (${LS_FILE}): ${type} package`, async () => {
      const dir = await project(type);
      const r = sh(dir, `npx husky init && echo "${LS_HOOK}" > .husky/pre-commit`);
      expect(r.code, r.out).toBe(0);
      writeFileSync(path.join(dir, LS_FILE), LS_CONFIG);
      commitsAreGuarded(dir);
    });
  }
});

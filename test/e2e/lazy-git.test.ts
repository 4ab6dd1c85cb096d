/**
 * simple-git is loaded only by the commands that use it (history, build, --push), never by the
 * pre-commit hook's `validate --staged` nor by a promote/rollback without --push, whose git
 * calls are one spawn each (measured: simple-git for those costs ~0.4x (node -e 0 + a bare
 * commit) on every promote). The built CLI runs with a module loader hook that reports what it loads.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cli } from '../helpers/cli.js';
import { makeRegistry, GIT_ENV, type TempRegistry } from '../helpers/registry.js';

const CONFIG = `environments:
  development: {}
  staging: { requires: development }
providers:
  offline: { type: echo }
`;

let r: TempRegistry;
let remote: TempRegistry;
let hookEnv: Record<string, string>;
beforeAll(() => {
  r = makeRegistry({ git: true, config: CONFIG, prompts: { a: ['1.0.0', '1.1.0'] } });
  r.write('.gitignore', '.prompts/\nloader/\n');
  r.commitAll('init');
  remote = makeRegistry({ config: null });
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote.dir], { env: { ...process.env, ...GIT_ENV } });
  r.git('remote', 'add', 'origin', remote.dir);
  r.git('push', '-q', '-u', 'origin', 'main');
  // a loader hook that names every simple-git module loaded, on stderr
  const hooks = r.write('loader/hooks.mjs', `export async function load(url, ctx, next) { if (url.includes('/simple-git/')) process.stderr.write('LOADED simple-git\\n'); return next(url, ctx); }\n`);
  const register = r.write('loader/register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  hookEnv = { NODE_OPTIONS: `--import ${pathToFileURL(register).href}` };
});
afterAll(() => {
  r.cleanup();
  remote.cleanup();
});

const run = (args: string[]) => cli(args, { cwd: r.dir, env: hookEnv });

describe('simple-git is loaded lazily', () => {
  it('not by validate --staged (the pre-commit hook)', async () => {
    writeFileSync(path.join(r.dir, 'prompts/a/1.2.0.yaml'), r.git('show', 'HEAD:prompts/a/1.1.0.yaml').replace(/1\.1\.0/g, '1.2.0'));
    r.git('add', 'prompts');
    const res = await run(['validate', '--staged']);
    expect(res, res.stderr).toMatchObject({ exitCode: 0 });
    expect(res.stdout).toMatch(/0 errors, 0 warnings in \d+ files/);
    r.git('reset', '-q');
    expect(res.stderr).not.toContain('LOADED simple-git');
  });

  it('not by promote or rollback without --push', async () => {
    for (const args of [['promote', 'a@1.0.0', '--env', 'development'], ['promote', 'a@1.1.0', '--env', 'development'], ['rollback', 'a', '--env', 'development']]) {
      const res = await run(args);
      expect(res, res.stderr).toMatchObject({ exitCode: 0 });
      expect(res.stderr, args.join(' ')).not.toContain('LOADED simple-git');
    }
  });

  it('by history, build and promote --push, which run git through it', async () => {
    for (const args of [['history', 'a'], ['build', '--env', 'development'], ['promote', 'a@1.0.0', '--env', 'staging', '--push']]) {
      r.git('push', '-q', 'origin', 'main');
      const res = await run(args);
      expect(res, res.stderr).toMatchObject({ exitCode: 0 });
      expect(res.stderr, args.join(' ')).toContain('LOADED simple-git');
    }
    expect(execFileSync('git', ['log', '-1', '--format=%s', 'main'], { cwd: remote.dir, encoding: 'utf8' }).trim()).toBe('prompts(staging): promote a none -> 1.0.0');
  });
});

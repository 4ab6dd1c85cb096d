/**
 * The registry commands as a user runs them (the built bin/prompts.js): a fresh registry from
 * `init --example`, a new prompt, the edit-then-bump workflow, list/show/render output, and a
 * pre-commit hook that really blocks a commit of a broken prompt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BIN, cli } from '../helpers/cli.js';
import { GIT_ENV, makeRegistry, type TempRegistry } from '../helpers/registry.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

function gitTry(dir: string, args: string[], extraEnv: Record<string, string> = {}): { code: number; out: string } {
  try {
    const out = execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true', ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: `${err.stdout}${err.stderr}` };
  }
}

describe('registry commands end to end', () => {
  it('init --example, new, edit + bump, list, show, render', async () => {
    reg = makeRegistry({ git: true, config: null });
    const dir = reg.dir;
    const init = await cli(['init', '--example'], { cwd: dir });
    expect(init.exitCode, init.stderr).toBe(0);
    expect(init.stdout).toBe('');
    expect(init.stderr).toContain('created prompts/example/greeting/1.0.0.yaml');
    const validate = await cli(['validate'], { cwd: dir });
    expect(validate.exitCode, validate.stdout + validate.stderr).toBe(0);

    const created = await cli(['new', 'support/triage'], { cwd: dir });
    expect(created).toMatchObject({ exitCode: 0, stdout: 'prompts/support/triage/1.0.0.yaml\n' });
    reg.commitAll('registry');

    // edit the latest version in place, then bump: the level comes from the change
    const v1 = path.join(dir, 'prompts/support/triage/1.0.0.yaml');
    const committed = readFileSync(v1, 'utf8');
    writeFileSync(v1, committed.replace('    text: { type: string, minLength: 1 }', '    text: { type: string, minLength: 1 }\n    tone: { type: string, enum: [brief, detailed] }'));
    const bump = await cli(['bump', 'support/triage', '-m', 'Optional tone'], { cwd: dir });
    expect(bump.exitCode, bump.stderr).toBe(0);
    expect(bump.stdout).toBe('prompts/support/triage/1.1.0.yaml\n');
    expect(bump.stderr).toContain('support/triage 1.0.0 -> 1.1.0 (minor, computed from your edit)');
    expect(bump.stderr).toContain('minor input "tone" was added (optional)');
    expect(readFileSync(v1, 'utf8')).toBe(committed);

    const list = await cli(['list'], { cwd: dir });
    expect(list.stdout).toBe(
      ['ID                LATEST  DEVELOPMENT  STAGING  PRODUCTION', 'example/greeting  1.0.0   -            -        -', 'support/triage    1.1.0   -            -        -', ''].join('\n'),
    );
    const listJson = JSON.parse((await cli(['list', '--json'], { cwd: dir })).stdout);
    expect(listJson.prompts[1]).toEqual({ id: 'support/triage', latest: '1.1.0', latest_stable: '1.1.0', versions: ['1.0.0', '1.1.0'], environments: { development: null, staging: null, production: null }, rollouts: {} });

    const show = await cli(['show', 'support/triage@1.1.0'], { cwd: dir });
    expect(show.stdout).toBe(readFileSync(path.join(dir, 'prompts/support/triage/1.1.0.yaml'), 'utf8'));

    const render = await cli(['render', 'support/triage', '--var', 'text=Hello there', '--var', 'tone=brief'], { cwd: dir });
    expect(render.exitCode, render.stderr).toBe(0);
    expect(render.stdout).toBe('--- system ---\nYou are a helpful assistant.\n\n--- user ---\nHello there\n');
    const viaStdin = await cli(['render', 'example/greeting', '--vars', '-', '--json', '--env', 'staging'], { cwd: dir, input: '{"name":"Ada","tone":"friendly"}' });
    const j = JSON.parse(viaStdin.stdout);
    expect(j).toMatchObject({ id: 'example/greeting', version: '1.0.0', model: { provider: 'offline', name: 'echo', parameters: { temperature: 0.3 } } });
    expect(j.messages[1]).toEqual({ role: 'user', content: 'Greet Ada in a friendly tone.\n' });
    const bad = await cli(['render', 'example/greeting', '--var', 'tone=rude'], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe(
      'error: invalid inputs for example/greeting@1.0.0: missing required input "name"; input "tone" must be one of "friendly", "formal" (declared inputs: name, tone; pass them with --var name=value or --vars file.json)\n',
    );
  });

  it('--json errors: one JSON document on stdout, the message on stderr', async () => {
    reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0'] } });
    const r = await cli(['show', 'support/triage@9.0.0', '--json'], { cwd: reg.dir });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
    expect(r.stderr).toContain('has no version 9.0.0');
  });

  it('the installed pre-commit hook blocks a commit of a broken prompt and lets a valid one through', async () => {
    reg = makeRegistry({ git: true, config: null });
    const dir = reg.dir;
    mkdirSync(path.join(dir, 'registry'));
    await cli(['init'], { cwd: path.join(dir, 'registry') });
    // the project's local install of promptrail, as `npm install -D promptrail` would provide
    mkdirSync(path.join(dir, 'node_modules/.bin'), { recursive: true });
    const shim = path.join(dir, 'node_modules/.bin/prompts');
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(shim, 0o755);
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
    const hook = await cli(['hook', 'install'], { cwd: path.join(dir, 'registry') });
    expect(hook.exitCode, hook.stderr).toBe(0);

    await cli(['new', 'good'], { cwd: path.join(dir, 'registry') });
    gitTry(dir, ['add', '-A']);
    const ok = gitTry(dir, ['commit', '-m', 'good prompt']);
    expect(ok.code, ok.out).toBe(0);

    writeFileSync(path.join(dir, 'registry/prompts/good/1.0.1.yaml'), 'id: good\nversion: 1.0.1\nmodel: { provider: openai }\n');
    gitTry(dir, ['add', '-A']);
    const blocked = gitTry(dir, ['commit', '-m', 'broken prompt']);
    expect(blocked.code).not.toBe(0);
    expect(blocked.out).toContain('prompts/good/1.0.1.yaml');
    expect(gitTry(dir, ['log', '--format=%s']).out).toBe('good prompt\n');
  });

  it('without a local install or prompts on PATH, the hook runs the CLI that installed it (npx promptrail hook install)', async () => {
    reg = makeRegistry({ git: true, config: null });
    const dir = reg.dir;
    await cli(['init'], { cwd: dir });
    const hook = await cli(['hook', 'install'], { cwd: dir });
    expect(hook.exitCode, hook.stderr).toBe(0);
    expect(readFileSync(path.join(dir, '.git/hooks/pre-commit'), 'utf8')).toContain(BIN);
    // a PATH with node and git but no prompts binary
    const env = { PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter) };
    const tryCommit = (msg: string): { code: number; out: string } => gitTry(dir, ['commit', '-m', msg], env);
    mkdirSync(path.join(dir, 'prompts/broken'));
    writeFileSync(path.join(dir, 'prompts/broken/1.0.0.yaml'), 'id: broken\nversion: 1.0.0\nmodel: { provider: openai }\n');
    gitTry(dir, ['add', 'prompts/broken']);
    const blocked = tryCommit('broken prompt');
    expect(blocked.code).not.toBe(0);
    expect(blocked.out).toContain('prompts/broken/1.0.0.yaml');
    expect(blocked.out).not.toContain('npm error');
    // a git GUI without node on PATH: the hook uses the node that installed it
    const gitBin = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    let out: string;
    try {
      execFileSync(gitBin, ['commit', '-m', 'broken prompt'], { cwd: dir, env: { ...process.env, ...GIT_ENV, NO_COLOR: '1', PATH: '/nonexistent' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      out = 'committed';
    } catch (e) {
      const err = e as { stdout: string; stderr: string };
      out = `${err.stdout}${err.stderr}`;
    }
    expect(out).toContain('prompts/broken/1.0.0.yaml');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { GIT_ENV } from '../helpers/registry.js';
import { prompts, snapshot } from './registry-cmd-helpers.js';
import { openRegistry, loadConfigFile, resolveConfig } from '../../src/registry/registry.js';
import { SCHEMAS_DIR } from '../../src/paths.js';
import type { PromptFile, SuiteFile } from '../../src/core/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-init-')));
  dirs.push(d);
  return d;
}

describe('prompts init', () => {
  it('creates the config (modeline, default environments and providers), folders, .gitignore entry and schemas', async () => {
    const dir = tmp();
    const r = await prompts(dir, ['init']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`Initialized promptrail registry in ${dir}`);
    const text = readFileSync(path.join(dir, 'prompts.config.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./schemas/config.schema.json');
    const cfg = resolveConfig(loadConfigFile(dir));
    expect(cfg.environmentOrder).toEqual(['development', 'staging', 'production']);
    expect(cfg.environments.staging).toMatchObject({ requires: 'development', gate: { min_pass_rate: 0.8 } });
    expect(cfg.environments.production).toMatchObject({ requires: 'staging', gate: { min_pass_rate: 0.95, no_regressions: true } });
    expect(cfg.providers.offline).toEqual({ type: 'echo' });
    expect(cfg.providers.openai).toEqual({ type: 'openai', api_key_env: 'OPENAI_API_KEY' });
    expect(cfg.eval).toMatchObject({ concurrency: 8, timeout_ms: 60000, retries: 4 });
    expect(existsSync(path.join(dir, 'prompts'))).toBe(true);
    expect(existsSync(path.join(dir, 'environments'))).toBe(true);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\.prompts\/$/m);
    for (const f of readdirSync(SCHEMAS_DIR).filter((n) => n.endsWith('.schema.json'))) {
      expect(readFileSync(path.join(dir, 'schemas', f))).toEqual(readFileSync(path.join(SCHEMAS_DIR, f)));
    }
    expect(openRegistry(dir).listPromptIds()).toEqual([]);
  });

  it('run again: reinitializes without overwriting anything and without duplicating the .gitignore line', async () => {
    const dir = tmp();
    expect((await prompts(dir, ['init'])).code).toBe(0);
    writeFileSync(path.join(dir, 'prompts.config.yaml'), 'prompts_dir: prompts\nproviders:\n  mine: { type: echo }\n');
    rmSync(path.join(dir, 'environments'), { recursive: true });
    const before = snapshot(dir);
    const r = await prompts(dir, ['init']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Reinitialized existing promptrail registry');
    expect(r.stderr).toContain('nothing overwritten');
    expect(r.stderr).toContain('created environments/');
    const after = snapshot(dir);
    expect(after).toEqual({ ...before, 'environments/': 'dir' });
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/^\.prompts\/$/gm)).toHaveLength(1);
  });

  it('a new registry gets .gitattributes keeping its YAML at LF: a CRLF checkout (core.autocrlf) has the bytes the pins hash', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, '.gitattributes'), '*.png binary');
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
    git('init', '-q');
    expect((await prompts(dir, ['init', '--example'])).code).toBe(0);
    expect(readFileSync(path.join(dir, '.gitattributes'), 'utf8')).toBe(
      '*.png binary\n# promptrail: version and environment files are pinned by sha256, so keep them LF everywhere\nprompts/**/*.yaml text eol=lf\nenvironments/*.yaml text eol=lf\n',
    );
    git('add', '-A');
    git('commit', '-qm', 'init');
    git('config', 'core.autocrlf', 'true');
    const f = path.join(dir, 'prompts/example/greeting/1.0.0.yaml');
    const committed = readFileSync(f);
    rmSync(f);
    git('checkout', '--', 'prompts/example/greeting/1.0.0.yaml');
    expect(readFileSync(f)).toEqual(committed);
    expect(committed.includes('\r\n')).toBe(false);
    // re-running init leaves .gitattributes alone
    const before = readFileSync(path.join(dir, '.gitattributes'), 'utf8');
    await prompts(dir, ['init']);
    expect(readFileSync(path.join(dir, '.gitattributes'), 'utf8')).toBe(before);
  });

  it('appends .prompts/ to an existing .gitignore (keeping its content) and recognises an existing entry', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\ndist');
    await prompts(dir, ['init']);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\ndist\n# promptrail local state (eval reports, response cache, locks)\n.prompts/\n');
    const other = tmp();
    writeFileSync(path.join(other, '.gitignore'), '/.prompts\n');
    await prompts(other, ['init']);
    expect(readFileSync(path.join(other, '.gitignore'), 'utf8')).toBe('/.prompts\n');
  });

  it('--example adds a sample prompt and suite that load, render, validate and pass their eval offline', async () => {
    const dir = tmp();
    const r = await prompts(dir, ['init', '--example']);
    expect(r.code).toBe(0);
    const reg = openRegistry(dir);
    expect(reg.listPromptIds()).toEqual(['example/greeting']);
    const file = path.join(dir, 'prompts/example/greeting/1.0.0.yaml');
    const text = readFileSync(file, 'utf8');
    const modeline = text.split('\n')[0]!;
    expect(modeline).toBe('# yaml-language-server: $schema=../../../schemas/prompt.schema.json');
    expect(existsSync(path.resolve(path.dirname(file), modeline.split('$schema=')[1]!))).toBe(true);
    const suiteText = readFileSync(path.join(dir, 'prompts/example/greeting/evals.yaml'), 'utf8');
    expect(suiteText.split('\n')[0]).toBe('# yaml-language-server: $schema=../../../schemas/suite.schema.json');
    const p = reg.loadPrompt('example/greeting', '1.0.0').value as PromptFile;
    expect(p.model.provider).toBe('offline');
    expect((reg.loadSuite('example/greeting')?.value as SuiteFile).cases.length).toBeGreaterThan(0);
    const v = await prompts(dir, ['validate']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    const rendered = await prompts(dir, ['render', 'example/greeting', '--var', 'name=Ada']);
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain('Greet Ada.');
    const ev = await prompts(dir, ['eval', 'example/greeting', '--json']);
    expect(ev.code, ev.stderr).toBe(0);
  });

  it('--json reports what was created', async () => {
    const dir = tmp();
    const r = await prompts(dir, ['--json', 'init']);
    const j = JSON.parse(r.stdout) as { ok: boolean; root: string; reinitialized: boolean; created: string[] };
    expect(j).toMatchObject({ ok: true, root: dir, reinitialized: false });
    expect(j.created).toContain('prompts.config.yaml');
    expect(j.created).toContain('.gitignore');
    const again = JSON.parse((await prompts(dir, ['--json', 'init'])).stdout) as { reinitialized: boolean; created: string[] };
    expect(again).toMatchObject({ reinitialized: true, created: [] });
  });

  it('keeps a schema file that differs from the shipped one and says so', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'schemas'));
    writeFileSync(path.join(dir, 'schemas/prompt.schema.json'), '{}');
    const r = await prompts(dir, ['init']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/kept\s+schemas\/prompt\.schema\.json: differs/);
    expect(readFileSync(path.join(dir, 'schemas/prompt.schema.json'), 'utf8')).toBe('{}');
  });

  it('refuses (exit 2, nothing written) when the existing config is invalid', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'prompts.config.yaml'), 'prompts_dir: [oops\n');
    const before = snapshot(dir);
    const r = await prompts(dir, ['init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: prompts\.config\.yaml:\d+:\d+: /);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses (exit 2, nothing written) when prompts/ is a file or the config dir leaves the registry', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'prompts'), 'not a folder');
    const before = snapshot(dir);
    const r = await prompts(dir, ['init', '--example']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('prompts exists but is not a folder');
    expect(snapshot(dir)).toEqual(before);

    const out = tmp();
    writeFileSync(path.join(out, 'prompts.config.yaml'), 'prompts_dir: ../elsewhere\n');
    const before2 = snapshot(out);
    const r2 = await prompts(out, ['init']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('leaves the registry folder');
    expect(snapshot(out)).toEqual(before2);
  });

  it('refuses a folder that does not exist (exit 2)', async () => {
    const r = await prompts(path.join(tmp(), 'missing'), ['init']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('does not exist');
  });

  it('warns when creating a registry inside another one', async () => {
    const dir = tmp();
    await prompts(dir, ['init']);
    mkdirSync(path.join(dir, 'sub'));
    const r = await prompts(path.join(dir, 'sub'), ['init']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`is inside the registry ${dir}`);
  });
});

describe('prompts init --example in an existing registry', () => {
  it('uses the config\'s echo provider, or warns when there is none', async () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-init-')));
    dirs.push(dir);
    writeFileSync(path.join(dir, 'prompts.config.yaml'), 'providers:\n  mock: { type: echo }\n');
    const r = await prompts(dir, ['init', '--example']);
    expect(r.code).toBe(0);
    expect(openRegistry(dir).loadPrompt('example/greeting', '1.0.0').value.model.provider).toBe('mock');
    const other = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-init-')));
    dirs.push(other);
    writeFileSync(path.join(other, 'prompts.config.yaml'), 'providers:\n  openai: { type: openai }\n');
    const w = await prompts(other, ['init', '--example']);
    expect(w.code).toBe(0);
    expect(w.stderr).toContain('has no provider of type echo');
  });
});

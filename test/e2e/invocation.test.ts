/**
 * init's "Next:" line in the words the CLI was started with: through real npx / npm exec
 * (a project with promptrail in node_modules/.bin) it says `npx prompts …`; run directly, `prompts …`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execa } from 'execa';
import { BIN, cli } from '../helpers/cli.js';
import { GIT_ENV } from '../helpers/registry.js';
import { cliCommand } from '../../src/cli/invocation.js';

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

function project(): string {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-npx-')));
  mkdirSync(path.join(tmp, 'node_modules/.bin'), { recursive: true });
  writeFileSync(path.join(tmp, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
  const shim = path.join(tmp, 'node_modules/.bin/prompts');
  writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(shim, 0o755);
  return tmp;
}

const run = async (cmd: string, args: string[], cwd: string): Promise<string> => {
  const env: Record<string, string | undefined> = { ...process.env, ...GIT_ENV, NO_COLOR: '1', CI: 'true', npm_config_offline: 'true' };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') && k !== 'npm_config_offline') delete env[k];
  const r = await execa(cmd, args, { cwd, env, extendEnv: false, reject: false, timeout: 60000 });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return String(r.stderr);
};

describe('init says what to run next, as the CLI was started', () => {
  it('npx prompts init -> "Next: npx prompts new <id>"', async () => {
    const dir = project();
    expect(await run('npx', ['--no-install', 'prompts', 'init'], dir)).toContain('Next: npx prompts new <id>   (e.g. npx prompts new support/triage)');
  });

  it('npm exec prompts -- init --example -> npx prompts validate && npx prompts eval …', async () => {
    const dir = project();
    expect(await run('npm', ['exec', '--no', '--', 'prompts', 'init', '--example'], dir)).toContain('Next: npx prompts validate && npx prompts eval example/greeting');
  });

  it('run directly (on PATH, a global install) -> "Next: prompts new <id>"', async () => {
    const dir = project();
    const r = await cli(['init'], { cwd: dir, env: { npm_command: undefined, npm_lifecycle_script: undefined } });
    expect(r.stderr).toContain('Next: prompts new <id>');
  });

  it('another program started by npx does not count', () => {
    expect(cliCommand({ npm_command: 'exec', npm_lifecycle_script: "'prompts'" })).toBe('npx prompts');
    expect(cliCommand({ npm_command: 'exec', npm_lifecycle_script: 'promptrail init' })).toBe('npx prompts');
    expect(cliCommand({ npm_command: 'exec', npm_lifecycle_script: "'lint-staged'" })).toBe('prompts');
    expect(cliCommand({ npm_command: 'run', npm_lifecycle_script: 'prompts init' })).toBe('prompts');
    expect(cliCommand({})).toBe('prompts');
  });
});

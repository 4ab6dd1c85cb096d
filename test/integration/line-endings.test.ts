/**
 * Pins mean the committed bytes on every platform: a version file checked out or saved with
 * CRLF (Git for Windows' core.autocrlf=true, a Windows editor) and promoted there gives a pin
 * that an LF clone (core.autocrlf=false, Linux CI) verifies, and back. Real git, real clones
 * through a shared bare repository.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GIT_ENV, promptYaml } from '../helpers/registry.js';
import { prompts, UNGATED_CONFIG } from './env-helpers.js';
import { contentSha256, sha256 } from '../../src/registry/files.js';
import { parseYaml } from '../../src/registry/yaml.js';
import { loadBundle, loadRegistry } from '../../src/index.js';
import type { EnvironmentFile } from '../../src/core/types.js';

let tmp: string | undefined;
afterEach(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  tmp = undefined;
});

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

/** A bare origin holding a registry with prompt `a` 1.0.0 (LF), optionally with init's .gitattributes. */
function origin(opts: { gitattributes: boolean }): string {
  tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-eol-')));
  const bare = path.join(tmp, 'origin.git');
  git(tmp, 'init', '-q', '--bare', '-b', 'main', bare);
  const seed = path.join(tmp, 'seed');
  git(tmp, 'clone', '-q', '-c', 'core.autocrlf=false', bare, seed);
  writeFileSync(path.join(seed, 'prompts.config.yaml'), UNGATED_CONFIG);
  writeFileSync(path.join(seed, '.gitignore'), '.prompts/\n');
  if (opts.gitattributes) writeFileSync(path.join(seed, '.gitattributes'), 'prompts/**/*.yaml text eol=lf\nenvironments/*.yaml text eol=lf\n');
  execFileSync('mkdir', ['-p', path.join(seed, 'prompts/a')]);
  writeFileSync(path.join(seed, 'prompts/a/1.0.0.yaml'), promptYaml('a', '1.0.0'));
  git(seed, 'add', '-A');
  git(seed, '-c', 'commit.gpgsign=false', 'commit', '-q', '-m', 'init');
  git(seed, 'push', '-q', 'origin', 'main');
  return bare;
}

function clone(bare: string, name: string, autocrlf: boolean): string {
  const dir = path.join(tmp!, name);
  git(tmp!, 'clone', '-q', '-c', `core.autocrlf=${autocrlf}`, bare, dir);
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'config', 'user.name', 'Test User');
  git(dir, 'config', 'user.email', 'test@example.com');
  return dir;
}

const pin = (dir: string, env: string, id: string): { version: string; sha256: string } =>
  (parseYaml(readFileSync(path.join(dir, 'environments', `${env}.yaml`), 'utf8')).value as EnvironmentFile).prompts[id]!;
const blobSha = (dir: string, rel: string): string => sha256(execFileSync('git', ['cat-file', 'blob', `HEAD:${rel}`], { cwd: dir }));

/** Every verifier of `dir` accepts the development pins. */
async function verifiesClean(dir: string): Promise<void> {
  const v = await prompts(dir, ['validate']);
  expect(v.stdout + v.stderr, 'validate').not.toContain('pin-sha-mismatch');
  expect(v.code, v.stdout).toBe(0);
  const s = await prompts(dir, ['status', '--json']);
  expect(s.code, s.stdout + s.stderr).toBe(0);
  expect(s.stdout).not.toContain('sha-mismatch');
  const show = await prompts(dir, ['show', 'a@development']);
  expect(show.stderr).not.toContain('changed after it was promoted');
  const b = await prompts(dir, ['build', '--env', 'development', '-o', 'bundle.json']);
  expect(b.code, b.stderr).toBe(0);
  const bundle = await loadBundle(path.join(dir, 'bundle.json'));
  expect(bundle.get('a').render({ ticket: 'hi' }).version).toBeTruthy();
  rmSync(path.join(dir, 'bundle.json'));
  const reg = await loadRegistry({ cwd: dir, env: 'development' });
  expect(reg.get('a').render({ ticket: 'hi' }).sha256).toBe(pin(dir, 'development', 'a').sha256);
}

describe('line endings: pins are the committed bytes on every platform', () => {
  it('the digest reads CRLF as LF (git stores it so) and leaves LF files and lone CRs alone', () => {
    const lf = promptYaml('a', '1.0.0');
    expect(contentSha256(Buffer.from(lf))).toBe(sha256(lf));
    expect(contentSha256(Buffer.from(crlf(lf)))).toBe(sha256(lf));
    expect(contentSha256(crlf(lf))).toBe(sha256(lf));
    expect(contentSha256(Buffer.from('a\rb\r\nc\r'))).toBe(sha256('a\rb\nc\r'));
    expect(contentSha256(new Uint8Array(Buffer.from('x\r\n')))).toBe(sha256('x\n'));
  });

  it('a core.autocrlf=true clone (CRLF checkout) promotes; a core.autocrlf=false clone verifies the pin', async () => {
    const bare = origin({ gitattributes: false });
    const win = clone(bare, 'windows', true);
    expect(readFileSync(path.join(win, 'prompts/a/1.0.0.yaml'), 'utf8')).toContain('\r\n');
    const p = await prompts(win, ['promote', 'a@1.0.0', '--env', 'development', '--reason', 'first']);
    expect(p.code, p.stderr).toBe(0);
    expect(pin(win, 'development', 'a').sha256).toBe(blobSha(win, 'prompts/a/1.0.0.yaml'));
    await verifiesClean(win);
    git(win, 'push', '-q', 'origin', 'main');

    const linux = clone(bare, 'linux', false);
    expect(readFileSync(path.join(linux, 'prompts/a/1.0.0.yaml'), 'utf8')).not.toContain('\r');
    await verifiesClean(linux);
    // the pin is a base for the next promotion there (integrity against the recorded digest)
    const next = await prompts(linux, ['promote', 'a@1.0.0', '--env', 'staging', '--reason', 'next']);
    expect(next.code, next.stderr).toBe(0);
  });

  it('a file saved with CRLF by a Windows editor, committed through init\'s .gitattributes and promoted, verifies on Linux', async () => {
    const bare = origin({ gitattributes: true });
    const win = clone(bare, 'windows', true);
    writeFileSync(path.join(win, 'prompts/a/1.1.0.yaml'), crlf(promptYaml('a', '1.1.0')));
    git(win, 'add', '-A');
    git(win, 'commit', '-q', '-m', 'a 1.1.0');
    expect(git(win, 'status', '--porcelain')).toBe('');
    expect(readFileSync(path.join(win, 'prompts/a/1.1.0.yaml'), 'utf8')).toContain('\r\n');
    const p = await prompts(win, ['promote', 'a@1.1.0', '--env', 'development', '--reason', 'first']);
    expect(p.code, p.stderr).toBe(0);
    expect(pin(win, 'development', 'a').sha256).toBe(blobSha(win, 'prompts/a/1.1.0.yaml'));
    git(win, 'push', '-q', 'origin', 'main');

    const linux = clone(bare, 'linux', false);
    await verifiesClean(linux);
    const staged = await prompts(linux, ['validate', '--staged']);
    expect(staged.code, staged.stdout).toBe(0);
  });

  it('the reverse: an LF clone promotes, a core.autocrlf=true clone (CRLF checkout) verifies and rolls back', async () => {
    const bare = origin({ gitattributes: false });
    const linux = clone(bare, 'linux', false);
    writeFileSync(path.join(linux, 'prompts/a/1.1.0.yaml'), promptYaml('a', '1.1.0'));
    git(linux, 'add', '-A');
    git(linux, 'commit', '-q', '-m', 'a 1.1.0');
    for (const v of ['1.0.0', '1.1.0']) {
      const p = await prompts(linux, ['promote', `a@${v}`, '--env', 'development', '--reason', v]);
      expect(p.code, p.stderr).toBe(0);
    }
    git(linux, 'push', '-q', 'origin', 'main');

    const win = clone(bare, 'windows', true);
    expect(readFileSync(path.join(win, 'prompts/a/1.0.0.yaml'), 'utf8')).toContain('\r\n');
    await verifiesClean(win);
    const back = await prompts(win, ['rollback', 'a', '--env', 'development', '--reason', 'latency']);
    expect(back.code, back.stderr).toBe(0);
    expect(pin(win, 'development', 'a')).toMatchObject({ version: '1.0.0', sha256: blobSha(win, 'prompts/a/1.0.0.yaml') });
  });
});

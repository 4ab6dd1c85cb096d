/**
 * The arena every attack in test/security/ runs in: a temp folder holding the registry (a real
 * git repository, with its own identity) and, beside it, `outside/`: files an attack would like
 * to read or overwrite. Each test snapshots `outside/` (paths, types, modes, bytes, link
 * targets) and the repository (work tree, HEAD, index) to prove that nothing outside changed and
 * that a refusal wrote nothing. Attacks run the built CLI, as CI would.
 */
import { afterEach, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, type CliResult } from '../helpers/cli.js';
import { GIT_ENV, promptYaml } from '../helpers/registry.js';

export const CONFIG = `environments:
  development: {}
  staging: { requires: development }
  production:
    requires: staging
    gate: { min_pass_rate: 1 }
providers:
  offline: { type: echo }
`;

/** A suite whose case passes only when the rendered prompt says "PASS" (the echo provider returns it). */
export const SUITE = `cases:
  - name: says pass
    vars: { ticket: "hello" }
    assert:
      - { type: contains, value: "NEVER-IN-THE-OUTPUT" }
`;

export interface Arena {
  base: string;
  dir: string;
  outside: string;
  write(rel: string, content: string | Buffer): string;
  read(rel: string): string;
  exists(rel: string): boolean;
  git(...args: string[]): string;
  commitAll(message?: string): void;
  run(args: string[], opts?: { env?: Record<string, string | undefined>; timeout?: number }): Promise<CliResult>;
  /** a digest of everything under outside/ */
  outsideState(): string;
  /** a digest of the repository: work tree (but .git/ and the local state under .prompts/), HEAD, index */
  repoState(): string;
}

function treeState(root: string, skip: (rel: string) => boolean = () => false): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = fs.readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const abs = path.join(dir, n);
      const rel = path.relative(root, abs);
      if (skip(rel)) continue;
      const st = fs.lstatSync(abs);
      h.update(`${rel}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`link:${fs.readlinkSync(abs)}\0`);
      else if (st.isDirectory()) walk(abs);
      else if (st.isFile()) h.update(fs.readFileSync(abs));
    }
  };
  walk(root);
  return h.digest('hex');
}

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * A registry with prompt `a` at 1.0.0 and 1.1.0 (suite included) committed, `.prompts/`
 * ignored as `prompts init` does, and `outside/` beside it with a bait file.
 */
export function arena(opts: { config?: string; suite?: string | null; git?: boolean } = {}): Arena {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(tmpdir(), 'promptrail-sec-')));
  made.push(base);
  const dir = path.join(base, 'repo');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(dir);
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'bait.txt'), 'do not touch\n');
  fs.mkdirSync(path.join(outside, 'cache'));
  const write = (rel: string, content: string | Buffer): string => {
    const f = path.join(dir, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
    return f;
  };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  write('prompts.config.yaml', opts.config ?? CONFIG);
  write('.gitignore', '.prompts/\n');
  for (const v of ['1.0.0', '1.1.0']) write(`prompts/a/${v}.yaml`, promptYaml('a', v));
  if (opts.suite !== null) write('prompts/a/evals.yaml', opts.suite ?? SUITE);
  const a: Arena = {
    base,
    dir,
    outside,
    write,
    read: (rel) => fs.readFileSync(path.join(dir, rel), 'utf8'),
    exists: (rel) => fs.lstatSync(path.join(dir, rel), { throwIfNoEntry: false }) !== undefined,
    git,
    commitAll(message = 'test commit') {
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
    },
    run: (args, o = {}) => cli(args, { cwd: dir, env: o.env, timeout: o.timeout }),
    outsideState: () => treeState(outside),
    repoState() {
      const work = treeState(dir, (rel) => rel === '.git' || rel === '.prompts'); // .prompts/: local caches, not registry content
      if (opts.git === false) return work;
      const headRev = (() => {
        try {
          return git('rev-parse', 'HEAD').trim();
        } catch {
          return 'none';
        }
      })();
      return `${work} ${headRev} ${git('ls-files', '-s').length} ${createHash('sha256').update(git('ls-files', '-s')).digest('hex')}`;
    },
  };
  if (opts.git !== false) {
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Test User');
    git('config', 'user.email', 'test@example.com');
    git('config', 'commit.gpgsign', 'false');
    a.commitAll('init');
  }
  return a;
}

/** stderr is one line (an error with its hint), and matches `re`. */
export function oneLine(res: CliResult, re: RegExp): void {
  const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

/** Runs `attack` and checks it left outside/ (and, when `unchanged`, the repository) exactly as it was. */
export async function untouched<T>(a: Arena, attack: () => Promise<T>, o: { repo?: boolean } = {}): Promise<T> {
  const out = a.outsideState();
  const repo = o.repo ? a.repoState() : '';
  const r = await attack();
  expect(a.outsideState(), 'a file outside the repository changed').toBe(out);
  if (o.repo) expect(a.repoState(), 'the refusal wrote something').toBe(repo);
  return r;
}

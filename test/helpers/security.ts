/**
 * A sandbox for attack tests (test/security/): a temp folder holding the registry (`repo/`, a
 * real git repository) and everything else the CLI could touch (`outside/`: HOME and TMPDIR
 * point there). After each run a test checks what the trust model promises:
 * - nothing outside the repository changed (`outsideChanges()` compares a listing of `outside/`
 *   and of the sandbox itself with the one taken at start: paths, sizes and mtimes);
 * - no secret leaked (`leaks()` looks for the sentinel key — whole, or any 8 consecutive
 *   characters of it — in stdout, stderr and every file under the sandbox).
 */
import { afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, lstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { cli, type CliResult } from './cli.js';
import { BASIC_CONFIG, GIT_ENV, promptYaml } from './registry.js';

/** 40 characters, none of them common in our own output, so any 8 in a row are the key's. */
export const SENTINEL_KEY = 'sk-Q7vZ9xK2mW4pL8rT1yB6nJ3hF5dC0gX9qVwEa';

export interface Sandbox {
  root: string;
  repo: string;
  outside: string;
  write(rel: string, content: string | Buffer): string;
  git(...args: string[]): string;
  commitAll(message?: string): void;
  /** the built CLI in the repo, with HOME/TMPDIR outside it and the sentinel key in the environment */
  run(args: string[], opts?: { env?: Record<string, string | undefined>; input?: string; timeout?: number }): Promise<CliResult>;
  /** paths (relative to the sandbox) added, removed or changed outside `repo/` since the start */
  outsideChanges(): string[];
  /** where the key (or 8+ consecutive characters of it) shows up: "stdout", "stderr" or a file path */
  leaks(results: CliResult[], key?: string, opts?: { except?: string[] }): string[];
}

type Listing = Map<string, string>;

function list(dir: string, base: string, out: Listing, skip?: string): Listing {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = path.join(dir, name);
    if (p === skip) continue;
    const st = lstatSync(p);
    out.set(path.relative(base, p), `${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'}:${st.isDirectory() ? '' : st.size}:${st.isDirectory() ? '' : st.mtimeMs}`);
    if (st.isDirectory()) list(p, base, out, skip);
  }
  return out;
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    const st = lstatSync(p);
    if (st.isDirectory()) {
      if (name === 'objects' && path.basename(dir) === '.git') continue; // zlib-compressed: searched through git below
      files(p, out);
    } else if (st.isFile()) out.push(p);
  }
  return out;
}

/** Every run of 8 consecutive characters of `key`. */
export function fragments(key: string, n = 8): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= key.length; i++) out.push(key.slice(i, i + n));
  return out;
}

export function hasFragment(text: string, key: string = SENTINEL_KEY, n = 8): boolean {
  return text.includes(key) || fragments(key, n).some((f) => text.includes(f));
}

export function makeSandbox(opts: { config?: string; prompts?: Record<string, string[]>; git?: boolean } = {}): Sandbox {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-sec-')));
  const repo = path.join(root, 'repo');
  const outside = path.join(root, 'outside');
  for (const d of [repo, path.join(outside, 'home'), path.join(outside, 'tmp')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(outside, 'canary.txt'), 'must not change\n');
  const write = (rel: string, content: string | Buffer): string => {
    const file = path.join(repo, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    return file;
  };
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: repo, env: { ...process.env, ...GIT_ENV, HOME: path.join(outside, 'home') }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  write('prompts.config.yaml', opts.config ?? BASIC_CONFIG);
  write('.gitignore', '.prompts/\n');
  for (const [id, versions] of Object.entries(opts.prompts ?? {})) for (const v of versions) write(`prompts/${id}/${v}.yaml`, promptYaml(id, v));
  if (opts.git !== false) {
    git('init', '-q', '-b', 'main');
    git('config', 'user.name', 'Test User');
    git('config', 'user.email', 'test@example.com');
    git('config', 'commit.gpgsign', 'false');
  }
  let before: Listing = new Map();
  const snapshot = (): Listing => list(root, root, new Map(), repo);
  const sb: Sandbox = {
    root,
    repo,
    outside,
    write,
    git,
    commitAll(message = 'test commit') {
      git('add', '-A');
      git('commit', '-q', '-m', message, '--allow-empty');
    },
    run(args, o = {}) {
      return cli(args, {
        cwd: repo,
        timeout: o.timeout,
        input: o.input,
        env: { HOME: path.join(outside, 'home'), TMPDIR: path.join(outside, 'tmp'), OPENAI_API_KEY: SENTINEL_KEY, ...(o.env ?? {}) },
      });
    },
    outsideChanges() {
      const now = snapshot();
      const changed: string[] = [];
      for (const [p, v] of now) if (before.get(p) !== v) changed.push(p);
      for (const p of before.keys()) if (!now.has(p)) changed.push(p);
      return changed.sort();
    },
    leaks(results, key = SENTINEL_KEY, lo = {}) {
      const except = new Set((lo.except ?? []).map((p) => path.join('repo', p)));
      const where: string[] = [];
      results.forEach((r, i) => {
        if (hasFragment(r.stdout, key)) where.push(`stdout of run ${i + 1}`);
        if (hasFragment(r.stderr, key)) where.push(`stderr of run ${i + 1}`);
      });
      for (const f of files(root)) if (!except.has(path.relative(root, f)) && hasFragment(readFileSync(f, 'latin1'), key)) where.push(path.relative(root, f));
      // git's object store is compressed: ask git for every object's content (unless a file the test put the secret in was committed)
      if (opts.git !== false && except.size === 0) {
        const all = execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: repo, encoding: 'latin1', maxBuffer: 512 * 1024 * 1024 });
        if (hasFragment(all, key)) where.push('a git object');
      }
      return where;
    },
  };
  before = snapshot();
  return sb;
}

/** `makeSandbox` whose sandboxes are removed after each test of the calling file. */
export function sandboxesPerTest(): (opts?: Parameters<typeof makeSandbox>[0]) => Sandbox {
  const made: Sandbox[] = [];
  afterEach(() => {
    for (const s of made.splice(0)) rmSync(s.root, { recursive: true, force: true });
  });
  return (opts) => {
    const s = makeSandbox(opts);
    made.push(s);
    return s;
  };
}

/** The one-line error message contract: exactly one line on stderr starting with "error: ". */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error: '));
}

/**
 * The validate engine: lists the registry (working tree or git index), runs the per-file
 * checks (cached by content hash, spread over worker threads on large cold runs), then the
 * cross-file checks: environment pins (file exists, sha256 matches), structure, and with a
 * base revision, immutability and semver bumps. Never throws for bad registry content; throws
 * UsageError (exit 2) for bad invocations (unknown rev, --staged outside git, missing paths).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { UsageError } from '../errors.js';
import { readRegistryFile, decodeRegistryBytes, isInside, sha256, MAX_FILE_BYTES, MAX_ENV_FILE_BYTES, type FileProblem } from '../registry/files.js';
import { sortVersions } from '../core/ref.js';
import { didYouMean } from '../core/suggest.js';
import { isObject } from '../core/json.js';
import type { CheckContext, FileOutcome, PinFact } from './checks/index.js';
import { analyzeLayout, versionRel, isStrictSemver, type ListedEntry, type EntryType } from './layout.js';
import { CONFIG_FILE, STATE_DIR, leavesRegistry, schemaFile } from '../paths.js';
import { loadCache, saveCache, fingerprintOf, sameFingerprint, trustworthy, outcomeOf, entryOf, type CacheEntry } from './cache.js';
import { sortProblems, type FileProblemEntry, type Problem, type ValidateResult } from './problem.js';
import type { WorkItem, WorkRequest, WorkResponse } from './worker.js';
import { listingKey, loadRunMemo, saveRunMemo, type RunMemo } from './run-memo.js';

/** Bump when the checks change in a way that makes cached results wrong. */
export const CHECKS_VERSION = 2;
const DEFAULT_ENVIRONMENTS = ['development', 'staging', 'production'];
/** below this many files to check, worker threads cost more than they save */
const PARALLEL_THRESHOLD = 600;

export interface EngineOptions {
  root: string;
  cwd: string;
  paths: string[];
  staged: boolean;
  base?: string;
  cache: boolean;
  toolVersion: string;
  /** worker threads for large runs: 'auto' (default) or a number (0 = none) */
  workers?: number | 'auto';
  /** the run's start time (tests move it to exercise the stat fingerprints) */
  now?: number;
  /** --staged: 'full' lists the whole index even when a part would do (tests compare the two) */
  indexListing?: 'auto' | 'full';
  /** --verbose: where time and work went */
  debug?: (msg: string) => void;
  /** told about each path argument outside the registry (ignored: lint-staged passes every staged file) */
  onIgnoredPath?: (given: string) => void;
}

type Obj = Record<string, unknown>;

interface Blob {
  bytes?: Buffer;
  problem?: FileProblem;
}

/** Where file contents come from: the working tree or the git index. */
interface Source {
  list(dirs: string[]): Promise<ListedEntry[]>;
  /** raw bytes (or the problem that stopped reading) of many files */
  read(rels: string[]): Promise<Map<string, Blob>>;
  /** stat fingerprint for the cache (working tree only) */
  stat?(rel: string): fs.Stats | undefined;
}

function normDir(d: string | undefined, dflt: string): string {
  const s = (d ?? dflt).replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return s === '' || s === '.' ? dflt : s;
}

/* ------------------------------------------------------------------------------ sources -- */

/** open flags for readPlainFile: never through a symbolic link, never waiting on a fifo (null: not on this platform) */
const PLAIN_OPEN = fs.constants.O_NOFOLLOW !== undefined && fs.constants.O_NONBLOCK !== undefined ? fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK : null;

/**
 * A regular file of at most MAX_FILE_BYTES, read through one descriptor: its fstat (the same
 * size, times and inode an lstat gives for a regular file, taken before reading, so it can
 * serve as the cache fingerprint) and its bytes. Null for anything else (a symbolic link, a
 * directory, a large file, an error): the caller then takes readRegistryFile with its guards.
 */
function readPlainFile(file: string): { st: fs.Stats; bytes: Buffer } | null {
  if (PLAIN_OPEN === null) return null;
  let fd: number;
  try {
    fd = fs.openSync(file, PLAIN_OPEN);
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > MAX_FILE_BYTES) return null;
    const bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = fs.readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    // a file that shrank meanwhile: its bytes so far (its new fingerprint differs next run)
    return { st, bytes: off === bytes.length ? bytes : bytes.subarray(0, off) };
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

function worktreeSource(root: string): Source {
  let realRoot = root;
  try {
    realRoot = fs.realpathSync(root);
  } catch {}
  const stats = new Map<string, fs.Stats>();
  const rootPrefix = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  return {
    async list(dirs) {
      const out: ListedEntry[] = [];
      const walk = (relDir: string, depth: number): void => {
        let ents: fs.Dirent[];
        try {
          ents = fs.readdirSync(path.join(root, relDir), { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of ents) {
          const rel = `${relDir}/${e.name}`;
          let type: EntryType = e.isFile() ? 'file' : e.isDirectory() ? 'dir' : e.isSymbolicLink() ? 'symlink' : 'other';
          if (type === 'symlink' && !/\.ya?ml$/.test(e.name)) {
            // a linked folder is not followed; one leading outside the registry is reported
            let real: string | undefined;
            try {
              real = fs.realpathSync(path.join(root, rel));
            } catch {}
            if (real !== undefined && !isInside(realRoot, real)) {
              out.push({
                rel,
                type: 'other',
                problem: { line: 1, column: 1, rule: 'file-outside-registry', message: `symbolic link leads outside the registry (to ${real}); replace it with the files themselves`, severity: 'error' },
              });
              continue;
            }
            type = 'other';
          }
          if (type === 'symlink') type = 'file';
          out.push({ rel, type });
          if (type === 'dir' && depth < 8 && !e.name.endsWith('.yaml')) walk(rel, depth + 1);
        }
      };
      for (const d of dirs) walk(d, 0);
      return out;
    },
    async read(rels) {
      const map = new Map<string, Blob>();
      for (const rel of rels) {
        const file = `${rootPrefix}${rel}`;
        // a plain small file (the lstat is cached): read it straight; anything else gets every guard
        const st = stats.get(rel);
        if (st && st.isFile() && st.size <= MAX_FILE_BYTES) {
          try {
            map.set(rel, { bytes: fs.readFileSync(file) });
            continue;
          } catch {}
        }
        if (!st) {
          const plain = readPlainFile(file);
          if (plain) {
            stats.set(rel, plain.st);
            map.set(rel, { bytes: plain.bytes });
            continue;
          }
        }
        // the upper bound of any registry file: checkFile applies each kind's own limit
        const r = readRegistryFile(file, root, MAX_ENV_FILE_BYTES);
        map.set(rel, 'rule' in r ? { problem: r } : { bytes: r.bytes });
      }
      return map;
    },
    stat(rel) {
      let st = stats.get(rel);
      if (!st) {
        // rel is a listing path ("/"-separated, no ".."): plain concatenation is enough (and
        // measurably cheaper than path.join over a large registry)
        st = fs.lstatSync(`${rootPrefix}${rel}`, { throwIfNoEntry: false });
        if (!st || !st.isFile()) return undefined;
        stats.set(rel, st);
      }
      return st;
    },
  };
}

interface IndexSource extends Source {
  changes(): Promise<{ status: string; path: string }[]>;
  /** `git ls-files -s` of these pathspecs (a listing like list()'s) */
  listSpecs(specs: string[]): Promise<ListedEntry[]>;
  /** is this listed path a symbolic link in the index? */
  isLink(rel: string): boolean;
}

async function indexSource(root: string): Promise<IndexSource> {
  const staged = await import('../git/staged.js');
  const entries = new Map<string, { oid: string; mode: string; stage: number }>();
  const memo = new Map<string, Blob>();
  const listSpecs = async (specs: string[]): Promise<ListedEntry[]> => {
    const listed = await staged.listIndex(root, specs);
    const out: ListedEntry[] = [];
    const seenDirs = new Set<string>();
    const seen = new Set<string>();
    for (const e of listed) {
      const prev = entries.get(e.path);
      if (!prev || e.stage > 0) entries.set(e.path, { oid: e.oid, mode: e.mode, stage: Math.max(e.stage, prev?.stage ?? 0) });
      // unmerged entries are listed once per stage; a path is listed once per call
      if (seen.has(e.path)) continue;
      seen.add(e.path);
      out.push({ rel: e.path, type: e.mode === '160000' ? 'other' : 'file' });
      // folders named like files (a version path that is a directory) show up as prefixes
      if (!e.path.includes('.yaml/')) continue;
      const parts = e.path.split('/');
      for (let i = 1; i < parts.length - 1; i++) {
        const d = parts.slice(0, i + 1).join('/');
        if (d.endsWith('.yaml') && !seenDirs.has(d)) {
          seenDirs.add(d);
          out.push({ rel: d, type: 'dir' });
        }
      }
    }
    return out;
  };
  return {
    list: (dirs) => listSpecs([CONFIG_FILE, ...dirs]),
    listSpecs,
    async read(rels) {
      const map = new Map<string, Blob>();
      const want: { rel: string; oid: string }[] = [];
      const links: { rel: string; oid: string }[] = [];
      for (const rel of rels) {
        const known = memo.get(rel);
        if (known) {
          map.set(rel, known);
          continue;
        }
        const e = entries.get(rel);
        if (!e) map.set(rel, { problem: { rule: 'file-missing', message: 'file is not in the git index (deleted or not staged)' } });
        else if (e.stage > 0) map.set(rel, { problem: { rule: 'conflict-marker', message: 'the file has an unresolved merge conflict in the index; resolve it and "git add" the file' } });
        else if (e.mode === '160000') map.set(rel, { problem: { rule: 'file-not-regular', message: 'expected a file but found a git submodule' } });
        else if (e.mode === '120000') links.push({ rel, oid: e.oid });
        else want.push({ rel, oid: e.oid });
      }
      const blobs = await staged.readBlobs(root, [...want, ...links].map((w) => w.oid));
      for (const w of want) {
        const b = blobs.get(w.oid);
        map.set(w.rel, b ? { bytes: b } : { problem: { rule: 'file-unreadable', message: 'cannot read the staged content from git' } });
      }
      for (const l of links) {
        // a staged symbolic link: follow it inside the index, never outside the registry
        const target = blobs.get(l.oid)?.toString('utf8') ?? '';
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(l.rel), target));
        if (target.startsWith('/') || resolved.startsWith('..')) {
          map.set(l.rel, { problem: { rule: 'file-outside-registry', message: `symbolic link leads outside the registry (to ${target}); replace it with a regular file` } });
          continue;
        }
        const t = entries.get(resolved);
        if (!t || t.mode === '120000') {
          map.set(l.rel, { problem: { rule: 'file-missing', message: `symbolic link points at ${resolved}, which is not a staged file` } });
          continue;
        }
        const tb = (await staged.readBlobs(root, [t.oid])).get(t.oid);
        map.set(l.rel, tb ? { bytes: tb } : { problem: { rule: 'file-unreadable', message: 'cannot read the staged content from git' } });
      }
      for (const [k, v] of map) memo.set(k, v);
      return map;
    },
    changes: () => staged.stagedChanges(root),
    isLink: (rel) => entries.get(rel)?.mode === '120000',
  };
}

/** at most this many changed folders get a partial --staged listing (more: list everything) */
const PARTIAL_LISTING_MAX = 64;

/**
 * Pathspecs listing the part of the index a --staged run needs when only version files and
 * suites changed: the config, the environments folder and every changed prompt folder, the
 * latter case-insensitively so that ids colliding with a changed one are listed too. Null
 * (list everything) when the config, an environment file or a file directly under prompts/
 * changed, or when many folders did. Assumes the default folders; engine re-lists otherwise.
 */
export function stagedListing(changes: readonly { path: string }[]): string[] | null {
  const folders = new Set<string>();
  for (const c of changes) {
    if (c.path === CONFIG_FILE || c.path.startsWith('environments/')) return null;
    if (!c.path.startsWith('prompts/')) continue; // not a registry file
    const folder = c.path.slice(0, c.path.lastIndexOf('/'));
    if (folder === 'prompts') return null;
    folders.add(folder);
  }
  if (folders.size > PARTIAL_LISTING_MAX) return null;
  return [CONFIG_FILE, 'environments', ...[...folders].map((f) => `:(icase,literal)${f}/`)];
}

/* ------------------------------------------------------------------------- the engine -- */

function schemasDigest(): string {
  const h = createHash('sha256');
  // the check code itself: a new build must not trust results of the old one
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const f of ['checks/index.js', 'checks/reporter.js', 'checks/prompt.js', 'checks/suite.js', 'checks/environment.js', 'checks/config.js', 'json-schema.js', 'doc.js', 'fast-yaml.js', '../core/template.js', '../registry/schema-findings.js', '../registry/schemas.js', '../registry/yaml.js', '../registry/files.js']) {
    try {
      const st = fs.statSync(path.join(here, f));
      h.update(`${f}:${st.size}:${st.mtimeMs}`);
    } catch {
      h.update(`${f}:none`);
    }
  }
  for (const k of ['prompt', 'suite', 'environment', 'config']) {
    try {
      h.update(fs.readFileSync(schemaFile(k)));
    } catch {
      h.update(`missing:${k}`);
    }
  }
  return h.digest('hex');
}

function toEntry(p: FileProblem): FileProblemEntry {
  return { line: p.line ?? 1, column: p.column ?? 1, rule: p.rule, message: p.message, severity: 'error' };
}

async function configValue(bytes: Buffer | undefined): Promise<Obj | null> {
  if (!bytes) return null;
  const d = decodeRegistryBytes(bytes);
  if ('rule' in d) return null;
  const { fastParse } = await import('./fast-yaml.js');
  const fast = fastParse(d.text);
  if (fast) return fast;
  const { parseYaml } = await import('../registry/yaml.js');
  const parsed = parseYaml(d.text);
  return parsed.issues.length === 0 && isObject(parsed.value) ? (parsed.value as Obj) : null;
}

type Checks = typeof import('./checks/index.js');
let checksModule: Promise<Checks> | undefined;
/** the checks (ajv, handlebars, yaml) load only when some file is not answered by the cache */
function loadChecks(): Promise<Checks> {
  checksModule ??= import('./checks/index.js');
  return checksModule;
}

/**
 * Worker threads for large cold runs. Started before the files are read so their start-up
 * (loading the checks) overlaps the reading; batches are handed out round-robin as they are read.
 */
class Pool {
  private readonly workers: import('node:worker_threads').Worker[] = [];
  private readonly pending = new Map<number, { resolve: (o: FileOutcome[]) => void; reject: (e: unknown) => void }>();
  private next = 0;
  private seq = 0;
  private failed: unknown;

  constructor(Worker: typeof import('node:worker_threads').Worker, threads: number, ctx: CheckContext) {
    const url = new URL('./worker.js', import.meta.url);
    for (let i = 0; i < threads; i++) {
      const w = new Worker(url, { workerData: { ctx } });
      w.on('message', (res: WorkResponse) => {
        const p = this.pending.get(res.id);
        this.pending.delete(res.id);
        if (!p) return;
        if (res.ok) p.resolve(res.outcomes);
        else p.reject(new Error(res.error));
      });
      w.on('error', (e) => {
        this.failed = e;
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  inFlight(): number {
    return this.pending.size;
  }

  submit(items: WorkItem[]): Promise<FileOutcome[]> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.seq++;
    const w = this.workers[this.next++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, items } satisfies WorkRequest);
    });
  }

  close(): void {
    for (const w of this.workers) void w.terminate();
  }
}

async function startPool(threads: number, ctx: CheckContext): Promise<Pool> {
  const { Worker } = await import('node:worker_threads');
  return new Pool(Worker, threads, ctx);
}

export async function runValidate(opts: EngineOptions): Promise<ValidateResult> {
  const { root } = opts;
  const scanStart = opts.now ?? Date.now();
  const problems: Problem[] = [];
  const addAll = (file: string, list: readonly FileProblemEntry[]): void => {
    for (const p of list) problems.push({ file, ...p });
  };

  // --staged: the checks are needed for whatever is staged (new content is never cached), so
  // they load while git runs; the "inside a work tree?" question runs alongside the listing
  if (opts.staged) void loadChecks().catch(() => undefined);
  let insideP: Promise<boolean> | undefined;
  if (opts.staged || opts.base !== undefined) {
    const { git } = await import('../git/run.js');
    insideP = git(root, ['rev-parse', '--is-inside-work-tree']).then(
      (o) => o.trim() === 'true',
      () => false,
    );
  }
  const needGit = async (): Promise<void> => {
    if (!insideP || (await insideP)) return;
    throw new UsageError(`${opts.staged ? '--staged' : '--base'} needs a git repository, but ${root} is not inside one`, {
      hint: 'run "git init", or validate the working tree without it',
    });
  };
  if (!opts.staged || opts.base !== undefined) await needGit();
  let baseCommit: string | null = null;
  if (opts.base !== undefined) {
    const { resolveCommit } = await import('../git/staged.js');
    baseCommit = await resolveCommit(root, opts.base);
    if (!baseCommit) throw new UsageError(`unknown revision "${opts.base}" for --base`, { hint: 'pass a commit, branch or tag that exists here (e.g. origin/main); in CI fetch enough history' });
  }

  const idx = opts.staged ? await indexSource(root) : undefined;
  const src: Source = idx ?? worktreeSource(root);

  // 1. the config: everything else depends on it. With --staged, the listing and the staged
  // changes are asked for at once, and the config, environment files and staged files are
  // read with one `git cat-file` (assuming the default folders; the config may move them).
  let listing: ListedEntry[] = [];
  let listedDirs: [string, string] = ['prompts', 'environments'];
  const stateDir = path.join(root, STATE_DIR);
  const memoEligible = !idx && opts.cache && opts.base === undefined && opts.paths.length === 0;
  let memo: RunMemo | null = null;
  let digestMemo: string | undefined;
  const runDigest = (configBytes: Buffer | undefined): string =>
    (digestMemo ??= sha256(`${opts.toolVersion}|${CHECKS_VERSION}|${schemasDigest()}|${configBytes ? sha256(configBytes) : ''}`));
  let changes: { status: string; path: string }[] = [];
  // a --staged run that may list only part of the index (see stagedListing); false: all of it
  let partial = false;
  if (idx) {
    const changesP = idx.changes();
    // outside a repository git fails too: the usage error wins over git's message
    changesP.catch(() => undefined);
    await needGit();
    changes = await changesP;
    const specs = opts.paths.length === 0 && opts.base === undefined && opts.indexListing !== 'full' ? stagedListing(changes) : null;
    if (specs) {
      listing = (await idx.listSpecs(specs)).filter((e) => e.rel === CONFIG_FILE || e.rel.startsWith('prompts/') || e.rel.startsWith('environments/'));
      partial = true;
    }
    // a staged symbolic link may point anywhere in the index: list all of it
    if (!specs || listing.some((e) => idx.isLink(e.rel))) {
      listing = await idx.list(['prompts', 'environments']);
      partial = false;
    }
  } else if (memoEligible) {
    // a whole-registry run: the last one's result stands when nothing it depended on changed
    const configBytes = (await src.read([CONFIG_FILE])).get(CONFIG_FILE)!.bytes;
    // (an unreadable config: its problem is not in the digest, so no memo)
    memo = configBytes ? loadRunMemo(stateDir, runDigest(configBytes)) : null;
    if (memo && memo.dirs.some(leavesRegistry)) memo = null;
    listedDirs = memo?.dirs ?? listedDirs;
    listing = await src.list(listedDirs);
    if (memo && listingKey(listing, (rel) => src.stat!(rel)) === memo.key) {
      opts.debug?.(`validate: 0 read, 0 checked (no file, path or config changed since the last whole run: its result stands), ${Math.round(Date.now() - scanStart)} ms so far`);
      return memo.result;
    }
    if (listedDirs[0] !== 'prompts' || listedDirs[1] !== 'environments') {
      listedDirs = ['prompts', 'environments'];
      listing = await src.list(listedDirs);
    }
  } else {
    listing = await src.list(listedDirs);
  }
  if (idx) {
    const guess = listing.filter((e) => e.type === 'file' && (e.rel.startsWith('environments/') || changes.some((c) => c.path === e.rel))).map((e) => e.rel);
    await src.read([CONFIG_FILE, ...guess]);
  }
  const configBlob = (await src.read([CONFIG_FILE])).get(CONFIG_FILE)!;
  const cfg = await configValue(configBlob.bytes);
  const promptsDir = normDir(cfg && typeof cfg.prompts_dir === 'string' ? cfg.prompts_dir : undefined, 'prompts');
  const environmentsDir = normDir(cfg && typeof cfg.environments_dir === 'string' ? cfg.environments_dir : undefined, 'environments');
  // never list a folder outside the registry (the config check reports such a folder)
  if ((promptsDir !== 'prompts' || environmentsDir !== 'environments') && !leavesRegistry(promptsDir) && !leavesRegistry(environmentsDir)) {
    listedDirs = [promptsDir, environmentsDir];
    listing = await src.list(listedDirs);
    partial = false;
  }
  const cfgEnvs = cfg && isObject(cfg.environments) ? Object.keys(cfg.environments) : [];
  const ctx: CheckContext = {
    providers: cfg === null ? null : isObject(cfg.providers) ? Object.keys(cfg.providers) : [],
    environments: cfg === null ? null : cfgEnvs.length ? cfgEnvs : DEFAULT_ENVIRONMENTS,
    promptsDir,
  };
  const digest = runDigest(configBlob.bytes);
  // a --staged run checks a few changed files: only the small part (config, environments) pays off
  const cache = opts.cache ? loadCache(stateDir, digest, idx ? ['env'] : ['env', 'files']) : new Map<string, CacheEntry>();
  const fresh = new Map<string, CacheEntry>();
  let configOutcome: FileOutcome;
  if (configBlob.problem) configOutcome = { problems: [toEntry(configBlob.problem)] };
  else {
    const s = sha256(configBlob.bytes!);
    const hit = cache.get(CONFIG_FILE);
    configOutcome = hit && hit.s === s ? { problems: hit.r } : await (await loadChecks()).checkFileAsync('config', CONFIG_FILE, configBlob.bytes!, ctx);
    fresh.set(CONFIG_FILE, { s, r: configOutcome.problems });
  }
  addAll(CONFIG_FILE, configOutcome.problems);
  const configError = configOutcome.problems.some((p) => p.severity === 'error');
  // an unparsable config still lets the other files be checked (with the default folders)
  const dirsUsable = !configOutcome.problems.some((p) => p.rule === 'config-dir-invalid');
  if (!dirsUsable) return finish(problems, [CONFIG_FILE], true, promptsDir);

  // 2. what to check
  let selected: Set<string> | null = null; // null = everything
  const deleted = new Set<string>();
  if (idx) {
    selected = new Set();
    for (const c of changes) {
      if (c.path === CONFIG_FILE) {
        selected = null;
        break;
      }
      if (c.status === 'D') deleted.add(c.path);
      else selected.add(c.path);
    }
    if (selected) for (const d of deleted) selected.add(d);
  }
  if (opts.paths.length) {
    const fromPaths = selectPaths(opts, listing);
    if (fromPaths === null) selected = selected ?? null;
    else selected = selected ? new Set([...selected].filter((r) => fromPaths.has(r))) : fromPaths;
  }
  if (selected?.has(CONFIG_FILE)) selected = null;
  if (selected === null && partial) {
    listedDirs = [promptsDir, environmentsDir];
    listing = await src.list(listedDirs);
    partial = false;
  }

  // 3. structure; a partial run analyzes only the folders it touches (and the environments)
  const listedType = new Map(listing.map((e) => [e.rel, e.type]));
  const pPrefix = `${promptsDir}/`;
  const allIds = new Set<string>();
  for (const e of listing) {
    if (e.rel.startsWith(pPrefix) && e.rel.endsWith('.yaml') && e.rel.lastIndexOf('/') > pPrefix.length) allIds.add(e.rel.slice(pPrefix.length, e.rel.lastIndexOf('/')));
  }
  let layoutEntries = listing;
  if (selected !== null) {
    const folders = new Set([...selected].map((r) => r.slice(0, r.lastIndexOf('/'))));
    const ePrefix = `${environmentsDir}/`;
    layoutEntries = listing.filter((e) => e.rel === CONFIG_FILE || e.rel.startsWith(ePrefix) || folders.has(e.rel.slice(0, e.rel.lastIndexOf('/'))));
  }
  const layout = analyzeLayout(layoutEntries, promptsDir, environmentsDir, allIds);
  const versionExists = (rel: string): boolean => layout.files.get(rel) === 'prompt' || (listedType.get(rel) === 'file' && isStrictSemver(rel.slice(rel.lastIndexOf('/') + 1, -5)));
  const versionsOf = (id: string): string[] => {
    const prefix = `${pPrefix}${id}/`;
    return listing.filter((e) => e.rel.startsWith(prefix) && !e.rel.slice(prefix.length).includes('/') && versionExists(e.rel)).map((e) => e.rel.slice(prefix.length, -5));
  };

  const envRels = [...layout.files].filter(([, k]) => k === 'environment').map(([r]) => r);
  const inSel = (rel: string): boolean => selected === null || selected.has(rel);
  // files whose per-file checks run: the selection, plus every environment file (their pins
  // tell which environments reference a selected version)
  const toCheck = [...layout.files.keys()].filter((r) => r !== CONFIG_FILE && (inSel(r) || layout.files.get(r) === 'environment'));

  // 4. per-file checks with the cache
  const outcomes = new Map<string, FileOutcome>();
  const shas = new Map<string, string>();
  const needRead: string[] = [];
  for (const rel of toCheck) {
    const hit = cache.get(rel);
    // only a recorded fingerprint can spare the read (the read takes its own fstat)
    const st = hit?.f ? src.stat?.(rel) : undefined;
    if (st && hit && sameFingerprint(hit.f, fingerprintOf(st))) {
      outcomes.set(rel, outcomeOf(hit));
      shas.set(rel, hit.s);
      fresh.set(rel, hit);
    } else needRead.push(rel);
  }
  // measured on 2 cores (bench/validate.mjs): a worker's start-up (loading and warming up its own
  // copy of the checks) costs more than it saves, so 'auto' uses threads only with more cores
  const cores = availableParallelism();
  const threads = opts.workers === undefined || opts.workers === 'auto' ? (cores > 2 ? Math.min(4, cores) : 1) : opts.workers;
  const likelyMisses = needRead.filter((r) => !cache.has(r)).length;
  // the main thread checks too: `threads` = the main one + (threads - 1) workers
  const pool = threads > 1 && likelyMisses >= PARALLEL_THRESHOLD ? await startPool(threads - 1, ctx) : undefined;
  const BATCH = 250;
  const work: WorkItem[] = [];
  const submitted: Promise<void>[] = [];
  const record = (w: WorkItem, out: FileOutcome): void => {
    outcomes.set(w.rel, out);
    const st = src.stat?.(w.rel);
    const f = st && trustworthy(st, scanStart) ? fingerprintOf(st) : undefined;
    fresh.set(w.rel, entryOf(shas.get(w.rel)!, out, f));
  };
  let checkedCount = 0;
  let dirty = false;
  // a batch a worker could not do (the thread died, the worker file is missing) is done here
  const submit = (batch: WorkItem[]): void => {
    submitted.push(
      pool!.submit(batch).then(
        (outs) => {
          checkedCount += batch.length;
          batch.forEach((w, k) => record(w, outs[k]!));
        },
        () => void work.push(...batch),
      ),
    );
  };
  try {
    for (let i = 0; i < needRead.length; i += BATCH) {
      const part = needRead.slice(i, i + BATCH);
      const blobs = await src.read(part);
      for (const rel of part) {
        const b = blobs.get(rel)!;
        if (b.problem) {
          outcomes.set(rel, { problems: [toEntry(b.problem)] });
          continue;
        }
        const s = sha256(b.bytes!);
        shas.set(rel, s);
        const hit = cache.get(rel);
        const st = src.stat?.(rel);
        const f = st && trustworthy(st, scanStart) ? fingerprintOf(st) : undefined;
        if (hit && hit.s === s) {
          outcomes.set(rel, outcomeOf(hit));
          fresh.set(rel, entryOf(s, outcomeOf(hit), f));
          if (f !== undefined || hit.f !== undefined) dirty = true;
        } else {
          work.push({ rel, kind: layout.files.get(rel)!, bytes: b.bytes! });
        }
      }
      if (pool && work.length >= BATCH) {
        const batch = work.splice(0, work.length);
        // each worker gets a batch ahead of the one it is on; the main thread does the rest
        if (pool.inFlight() < 2 * pool.size) submit(batch);
        else {
          const checks = await loadChecks();
          for (const w of batch) record(w, await checks.checkFileAsync(w.kind, w.rel, w.bytes, ctx));
          checkedCount += batch.length;
        }
      }
    }
    if (pool && work.length) submit(work.splice(0, work.length));
    await Promise.all(submitted);
  } finally {
    pool?.close();
  }
  if (work.length) {
    const checks = await loadChecks();
    for (const w of work) record(w, await checks.checkFileAsync(w.kind, w.rel, w.bytes, ctx));
    checkedCount += work.length;
  }
  opts.debug?.(`validate: ${toCheck.length} files to check, ${needRead.length} read, ${checkedCount} checked${pool ? ` (${threads} threads: the main one and ${pool.size} worker${pool.size > 1 ? 's' : ''})` : ''} (${cache.size} cached results loaded), ${Math.round(Date.now() - (opts.now ?? scanStart))} ms so far`);
  if (opts.cache && !idx && (checkedCount > 0 || dirty || fresh.size !== cache.size || !cache.has(CONFIG_FILE) || cache.get(CONFIG_FILE)!.s !== fresh.get(CONFIG_FILE)?.s)) {
    // keep entries of files not looked at this run (a partial run must not empty the cache)
    for (const [k, v] of cache) if (!fresh.has(k) && listedType.has(k) && k !== CONFIG_FILE) fresh.set(k, v);
    saveCache(stateDir, digest, fresh, (rel) => rel === CONFIG_FILE || layout.files.get(rel) === 'environment');
  }

  // 5. which files are reported: the selection, plus environment files that pin a selected version
  const report = new Set<string>();
  const pinsToCheck = new Map<string, PinFact[]>();
  for (const rel of envRels) {
    const pins = outcomes.get(rel)?.pins ?? [];
    if (inSel(rel)) {
      report.add(rel);
      pinsToCheck.set(rel, pins);
    } else {
      const relevant = pins.filter((p) => selected!.has(versionRel(promptsDir, p.id, p.version)));
      if (relevant.length) {
        report.add(rel);
        pinsToCheck.set(rel, relevant);
      }
    }
  }
  for (const rel of layout.files.keys()) if (rel !== CONFIG_FILE && inSel(rel)) report.add(rel);
  for (const [rel, list] of layout.problems) {
    if (!inSel(rel)) continue;
    addAll(rel, list);
    report.add(rel);
  }
  for (const rel of report) {
    const o = outcomes.get(rel);
    if (o) addAll(rel, o.problems);
  }

  // 6. pins: the pinned version exists and its bytes are the promoted bytes
  const pinned = new Set<string>();
  for (const pins of pinsToCheck.values()) for (const p of pins) pinned.add(versionRel(promptsDir, p.id, p.version));
  const missingSha = [...pinned].filter((r) => versionExists(r) && !shas.has(r));
  if (missingSha.length) {
    const more = await src.read(missingSha);
    for (const [rel, b] of more) if (b.bytes) shas.set(rel, sha256(b.bytes));
  }
  for (const [envRel, pins] of pinsToCheck) {
    const found: { pin: PinFact; field: 'version' | 'sha256' | 'previous'; rule: string; message: string; severity: 'error' | 'warning' }[] = [];
    const envName = envRel.slice(envRel.lastIndexOf('/') + 1, -5);
    for (const pin of pins) {
      const vr = versionRel(promptsDir, pin.id, pin.version);
      if (!versionExists(vr)) {
        const present = versionsOf(pin.id);
        const versions = present.length ? present : undefined;
        const wasDeleted = deleted.has(vr);
        let message: string;
        if (wasDeleted) message = `${vr} is pinned in ${envName} but its deletion is staged; version files that were promoted must stay (unstage the deletion: git restore --staged ${vr})`;
        else if (!versions) {
          if (partial) {
            // a partial --staged listing knows only the changed folders: suggest from all ids
            partial = false;
            for (const e of await src.list([promptsDir, environmentsDir])) {
              if (e.rel.startsWith(pPrefix) && e.rel.endsWith('.yaml') && e.rel.lastIndexOf('/') > pPrefix.length) allIds.add(e.rel.slice(pPrefix.length, e.rel.lastIndexOf('/')));
            }
          }
          const s = didYouMean(pin.id, allIds);
          message = `pins prompt "${pin.id}", which does not exist${s ? `; did you mean "${s}"?` : ''} (restore ${vr} or roll the pin back)`;
        } else message = `pins ${pin.id}@${pin.version}, but ${vr} does not exist (versions: ${sortVersions(versions).join(', ')}); restore the file`;
        found.push({ pin, field: 'version', rule: 'pin-missing-version', message, severity: 'error' });
        continue;
      }
      const actual = shas.get(vr);
      if (actual !== undefined && actual !== pin.sha256) {
        found.push({
          pin,
          field: 'sha256',
          rule: 'pin-sha-mismatch',
          message: `${vr} changed after it was promoted to ${envName} (sha256 ${pin.sha256.slice(0, 12)}… recorded, ${actual.slice(0, 12)}… now); version files are immutable: restore the promoted bytes (git restore --source=HEAD --staged --worktree -- ${vr}, or from the commit that promoted it if the edit is committed) and put the change in a new version (edit the latest version, then prompts bump)`,
          severity: 'error',
        });
      }
      if (pin.previous !== null && isStrictSemver(pin.previous) && !versionExists(versionRel(promptsDir, pin.id, pin.previous))) {
        found.push({ pin, field: 'previous', rule: 'pin-previous-missing', message: `previous version ${pin.id}@${pin.previous} (the rollback target) does not exist; rollback would fail`, severity: 'warning' });
      }
    }
    if (found.length) {
      const text = (await src.read([envRel])).get(envRel)?.bytes?.toString('utf8') ?? '';
      const { parseYaml, positionOf } = await import('../registry/yaml.js');
      const parsed = parseYaml(text);
      for (const f of found) {
        const pos = parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, `/prompts/${f.pin.id.replace(/~/g, '~0').replace(/\//g, '~1')}/${f.field}`);
        problems.push({ file: envRel, line: pos.line, column: pos.column, rule: f.rule, message: f.message, severity: f.severity });
      }
    }
  }

  // 7. suites: case vars against the inputs of the versions each case applies to
  for (const rel of report) {
    if (layout.files.get(rel) !== 'suite') continue;
    const cases = outcomes.get(rel)?.cases;
    const id = rel.slice(pPrefix.length, rel.lastIndexOf('/'));
    const versions = layout.versions.get(id) ?? [];
    const facts = versions.map((v) => outcomes.get(versionRel(promptsDir, id, v))?.inputs);
    if (!cases?.length || !versions.length || facts.some((f) => f === undefined)) continue; // not all versions were checked in this run
    const found: { pointer: string; key?: string; rule: string; message: string }[] = [];
    for (const c of cases) {
      const applies = versions.map((v, k) => ({ v, f: facts[k]! })).filter(({ v }) => c.versions === undefined || safeSatisfies(v, c.versions));
      if (!applies.length) continue;
      for (const name of c.vars) {
        if (applies.every(({ f }) => f.closed && !f.props.includes(name))) {
          const s = didYouMean(name, [...new Set(applies.flatMap(({ f }) => f.props))]);
          found.push({
            pointer: `/cases/${c.index}/vars`,
            key: name,
            rule: 'suite-var-undeclared',
            message: `case "${c.name}" passes "${name}", which no version it applies to declares in its inputs${s ? `; did you mean "${s}"?` : ''} (eval would reject it)`,
          });
        }
      }
      const missing = new Map<string, string[]>();
      for (const { v, f } of applies) for (const req of f.required) if (!c.vars.includes(req)) missing.set(req, [...(missing.get(req) ?? []), v]);
      for (const [req, vs] of missing) {
        found.push({
          pointer: `/cases/${c.index}/name`,
          rule: 'suite-var-missing',
          message: `case "${c.name}" does not provide required input "${req}" of ${vs.length === applies.length ? 'the versions it applies to' : `version${vs.length > 1 ? 's' : ''} ${sortVersions(vs).join(', ')}`}; add it to vars (or defaults.vars), or limit the case with "versions:"`,
        });
      }
    }
    if (found.length) {
      const text = (await src.read([rel])).get(rel)?.bytes?.toString('utf8') ?? '';
      const { parseYaml, positionOf } = await import('../registry/yaml.js');
      const parsed = parseYaml(text);
      for (const f of found) {
        const pos = parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, f.pointer, f.key);
        problems.push({ file: rel, ...pos, rule: f.rule, message: f.message, severity: 'warning' });
      }
    }
  }

  // 8. immutability and semver against a base revision
  if (baseCommit) {
    const { checkAgainstBase } = await import('./base.js');
    const baseProblems = await checkAgainstBase({ root, commit: baseCommit, rev: opts.base!, staged: opts.staged, promptsDir, layout, read: (rels) => src.read(rels) });
    for (const p of baseProblems) if (inSel(p.file)) problems.push(p);
  }

  const checked = [CONFIG_FILE, ...[...report].sort()];
  const result = finish(problems, checked, configError, promptsDir);
  if (memoEligible && !configBlob.problem && selected === null && listedDirs[0] === promptsDir && listedDirs[1] === environmentsDir) {
    const key = listingKey(listing, (rel) => src.stat!(rel), (st) => trustworthy(st, scanStart));
    if (key !== null && key !== memo?.key) saveRunMemo(stateDir, { digest, dirs: listedDirs, key, result });
  }
  return result;
}

const satisfiesMemo = new Map<string, boolean>();
type Satisfies = (v: string, r: string, o: object) => boolean;
let semverSatisfies: Satisfies | undefined;
export function safeSatisfies(v: string, range: string): boolean {
  // suites repeat the same few ranges; parsing a range each time costs more than the check
  const key = `${range}\0${v}`;
  let ok = satisfiesMemo.get(key);
  if (ok === undefined) {
    ok = simpleSatisfies(v, range);
    if (ok === undefined) {
      semverSatisfies ??= requireCjs('semver/functions/satisfies.js') as Satisfies;
      try {
        ok = semverSatisfies(v, range, { includePrerelease: true });
      } catch {
        ok = false;
      }
    }
    satisfiesMemo.set(key, ok);
  }
  return ok;
}

const PLAIN_VERSION = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
const PLAIN_COMPARATOR = /^(>=|<=|>|<|=)?(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
/**
 * semver's satisfies for the common case, without loading semver's range parser: a version
 * without prerelease or build and a range of space-separated comparators (>=, <=, >, <, = or
 * none) of full x.y.z versions. Undefined for anything else (semver decides).
 */
export function simpleSatisfies(v: string, range: string): boolean | undefined {
  const m = PLAIN_VERSION.exec(v);
  if (!m) return undefined;
  const parts = range.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') return undefined;
  let ok = true;
  for (const part of parts) {
    const c = PLAIN_COMPARATOR.exec(part);
    if (!c) return undefined;
    const cmp = Number(m[1]) - Number(c[2]) || Number(m[2]) - Number(c[3]) || Number(m[3]) - Number(c[4]);
    const op = c[1] ?? '=';
    if (!(op === '>=' ? cmp >= 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : op === '<' ? cmp < 0 : cmp === 0)) ok = false;
  }
  return ok;
}

const requireCjs = createRequire(import.meta.url);

function finish(problems: Problem[], checked: string[], configError: boolean, promptsDir: string): ValidateResult {
  sortProblems(problems);
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity === 'warning');
  return { ok: errors.length === 0, files: checked.length, checked, errors, warnings, configError, promptsDir };
}

/**
 * The registry files named by `paths` (files or folders, relative to cwd). Paths outside the
 * registry are ignored (lint-staged passes every staged file); a path that does not exist is a
 * usage error. Returns null when a path covers the whole registry.
 */
function selectPaths(opts: EngineOptions, listing: ListedEntry[]): Set<string> | null {
  const sel = new Set<string>();
  const rels = listing.map((e) => e.rel);
  for (const p of opts.paths) {
    const abs = path.resolve(opts.cwd, p);
    const noSuchPath = (): UsageError => new UsageError(`no such file or folder: ${p}`, { hint: 'pass files or folders of the registry, e.g. prompts/support/triage' });
    if (!isInside(opts.root, abs)) {
      // a typo must not pass silently as "0 errors"; an existing file outside is only noted
      if (!opts.staged && !fs.existsSync(abs)) throw noSuchPath();
      opts.onIgnoredPath?.(p);
      continue;
    }
    const rel = path.relative(opts.root, abs).split(path.sep).join('/');
    if (rel === '') return null;
    const under = rels.filter((r) => r === rel || r.startsWith(`${rel}/`));
    if (rel === CONFIG_FILE) return null;
    if (under.length === 0 && !fs.existsSync(abs) && !opts.staged) throw noSuchPath();
    for (const r of under) sel.add(r);
  }
  return sel;
}


/**
 * Local state under `.prompts/` (eval reports, the response and suite caches, validate's caches,
 * locks) is never evidence of anything a pull request could have put there (SPEC §11): a state
 * file is read only when it is a regular file promptrail could have written itself — not tracked
 * by git (a PR can commit anything under `.prompts/` with `git add -f`), not a symbolic link, not
 * under a folder that is one — and it is written only through real folders inside the registry.
 * Readers then check the file's own digests (a report's sha256s, a cache entry's key).
 *
 * "Tracked" is one `git ls-files -- .prompts` per registry and process (none outside git, or
 * when `.prompts` does not exist).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_DIR } from '../paths.js';
import { readRegularFile, realDirProblem, writeFileAtomic, removeDeadTempFiles, isInside } from './files.js';
import { trackedPaths, trackedPathsSync } from '../git/tracked.js';

/** paths relative to the registry root, "/"-separated, of everything git tracks under `.prompts/` */
export type TrackedState = ReadonlySet<string>;

/** What a reader or writer of state needs: the registry root and what git tracks under its `.prompts/`. */
export interface StateAccess {
  root: string;
  tracked: TrackedState;
}

const EMPTY: TrackedState = new Set();
const known = new Map<string, TrackedState>();
const pending = new Map<string, Promise<TrackedState>>();

/** Is there a `.git` in `root` or above (a cheap test before running git at all)? */
function maybeInGit(root: string): boolean {
  if (process.env.GIT_DIR) return true;
  let dir = root;
  for (;;) {
    if (fs.existsSync(path.join(dir, '.git'))) return true;
    const up = path.dirname(dir);
    if (up === dir) return false;
    dir = up;
  }
}

function needsGit(root: string): boolean {
  return fs.lstatSync(path.join(root, STATE_DIR), { throwIfNoEntry: false }) !== undefined && maybeInGit(root);
}

/**
 * What git tracks under `<root>/.prompts` (relative to `root`); empty outside git. Started early
 * by commands that read state (it runs while they read other files), awaited before trusting any.
 */
export function trackedState(root: string): Promise<TrackedState> {
  const have = known.get(root);
  if (have) return Promise.resolve(have);
  let p = pending.get(root);
  if (!p) {
    p = needsGit(root)
      ? trackedPaths(root, STATE_DIR).then((set) => {
          known.set(root, set);
          return set;
        })
      : Promise.resolve(EMPTY);
    pending.set(root, p);
  }
  return p;
}

/** trackedState for synchronous readers: the answer already known, else one blocking `git ls-files`. */
export function trackedStateSync(root: string): TrackedState {
  const have = known.get(root);
  if (have) return have;
  const set = needsGit(root) ? trackedPathsSync(root, STATE_DIR) : EMPTY;
  known.set(root, set);
  return set;
}

/** Forget what was learnt about `root` (tests that commit state between calls in one process). */
export function forgetTrackedState(root?: string): void {
  if (root === undefined) {
    known.clear();
    pending.clear();
  } else {
    known.delete(root);
    pending.delete(root);
  }
}

/** `abs` (under root) as a root-relative "/" path. */
function relOf(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

/** Is `rel`, or a folder above it (a submodule, say), tracked? */
function isTracked(tracked: TrackedState, rel: string): boolean {
  if (tracked.size === 0) return false;
  for (let p = rel; p; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') if (tracked.has(p)) return true;
  return false;
}

export type StateDistrust = 'tracked' | 'symlink' | 'not-regular' | 'outside' | 'missing' | 'unreadable';

/**
 * The bytes of state file `abs` when promptrail may trust it as its own: inside the registry's
 * `.prompts/`, every folder on the way real (no symbolic link), a regular file, not tracked by
 * git, at most `maxBytes`. Otherwise why not.
 */
export function readStateFile(root: string, abs: string, tracked: TrackedState, maxBytes = 512 * 1024 * 1024): Buffer | { distrust: StateDistrust } {
  const state = path.join(root, STATE_DIR);
  if (!isInside(state, abs) || abs === state) return { distrust: 'outside' };
  if (realDirProblem(root, path.dirname(abs)) !== null) return { distrust: 'symlink' };
  if (isTracked(tracked, relOf(root, abs))) return { distrust: 'tracked' };
  const bytes = readRegularFile(abs, maxBytes);
  if (Buffer.isBuffer(bytes)) return bytes;
  if (bytes.rule === 'file-missing') return { distrust: 'missing' };
  return { distrust: bytes.rule === 'file-not-regular' ? (/symbolic link/.test(bytes.message) ? 'symlink' : 'not-regular') : 'unreadable' };
}

/** readStateFile as text, or undefined for anything it does not trust. */
export function readStateText(root: string, abs: string, tracked: TrackedState): string | undefined {
  const b = readStateFile(root, abs, tracked);
  return Buffer.isBuffer(b) ? b.toString('utf8') : undefined;
}

/**
 * Writes state file `abs` atomically through real folders inside the registry (made as needed),
 * sweeping temp files killed runs left in its folder (`durable: false` for caches, which need no
 * fsync). Returns false, writing nothing, when a
 * folder on the way is a symbolic link or not a folder (the state would land outside the
 * repository); other failures throw.
 */
export function writeStateFile(root: string, abs: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): boolean {
  const state = path.join(root, STATE_DIR);
  if (!isInside(state, abs) || abs === state) return false;
  const dir = path.dirname(abs);
  if (realDirProblem(root, dir, { create: true }) !== null) return false;
  if (fs.lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(abs); // replaced, never followed
  removeDeadTempFiles(dir);
  // caches are reproducible: no fsync (a file cut by a crash reads as a miss)
  writeFileAtomic(abs, data, opts.durable === false ? { fsync: false, syncDir: false } : {});
  return true;
}

/** Every tracked path under `.prompts/` (validate's `state-tracked`), sorted. */
export function trackedStatePaths(tracked: TrackedState): string[] {
  return [...tracked].sort();
}

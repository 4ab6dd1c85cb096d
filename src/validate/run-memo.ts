/**
 * The whole-run memo of `prompts validate` (working tree, whole registry): the result of the
 * last such run, reused when nothing it depended on can have changed. What a run's result
 * depends on: the digest (tool version, checks, schemas, config bytes) and the registry
 * listing with every file's bytes. The listing is made afresh each run (paths, types, the
 * problems the listing itself finds); file bytes are vouched for by the same stat fingerprint
 * (size, mtime, ctime, inode) the per-file cache trusts, and only when every .yaml file had a
 * trustworthy fingerprint (changed well before the run that recorded it, see cache.ts), so a
 * file written since has a different ctime. Any difference means the normal run, with the
 * per-file cache. A .yaml entry that is not a regular file (a symbolic link: its target could
 * change behind it) makes the listing unkeyable, and the run is never memoized.
 *
 * The listing itself need not be walked again either: the memo keeps it with the fingerprint
 * of every folder that was read (a folder's mtime/ctime change whenever an entry is added,
 * removed or renamed in it), so when every folder's fingerprint is the same, so is the
 * listing. Kept only for listings of plain files and folders (no symbolic links, whose
 * targets change behind them) whose folders all had trustworthy fingerprints.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { sameFingerprint, writeCacheFile, type Fingerprint } from './cache.js';
import { readStateText, type StateAccess } from '../registry/state.js';
import type { ListedEntry } from './layout.js';
import type { ValidateResult } from './problem.js';

export const RUN_MEMO_FORMAT = 2;

export interface RunMemo {
  format: number;
  digest: string;
  /** the prompts and environments folders that were listed */
  dirs: [string, string];
  /** listingKey() of the listing */
  key: string;
  result: ValidateResult;
  /** the listing, with the fingerprints of the folders read for it (absent when not keepable) */
  tree?: MemoTree;
}

export interface MemoTree {
  entries: [rel: string, type: 'file' | 'dir'][];
  /** every folder read, and the listed top folders (null: it did not exist) */
  dirs: [rel: string, fingerprint: Fingerprint | null][];
}

/** The tree to keep for `listing` (undefined when it holds anything but plain files and folders, or a folder changed too recently). */
export function treeOf(listing: readonly ListedEntry[], dirPrints: ReadonlyMap<string, Fingerprint | null> | undefined, trusted: (f: Fingerprint) => boolean): MemoTree | undefined {
  if (!dirPrints) return undefined;
  const entries: MemoTree['entries'] = [];
  for (const e of listing) {
    if (e.problem || (e.type !== 'file' && e.type !== 'dir')) return undefined;
    entries.push([e.rel, e.type]);
  }
  const dirs: MemoTree['dirs'] = [];
  for (const [rel, fp] of dirPrints) {
    if (fp && !trusted(fp)) return undefined;
    dirs.push([rel, fp]);
  }
  return { entries, dirs };
}

/** Did no folder of the kept listing change since (`print`: a folder's fingerprint now, null when it is none)? */
export function treeUnchanged(tree: MemoTree, print: (rel: string) => Fingerprint | null): boolean {
  for (const [rel, was] of tree.dirs) {
    const now = print(rel);
    if (now === null || was === null ? now !== was : !sameFingerprint(was, now)) return false;
  }
  return true;
}

export function runMemoFile(stateDir: string): string {
  return path.join(stateDir, 'cache', 'validate-run.json');
}

/**
 * A digest of the listing: each entry's path, type and listing problem, and for every .yaml
 * file its stat fingerprint. Null when a .yaml entry is not a regular file or (when `trusted`
 * is given, for recording) its fingerprint cannot be trusted yet.
 */
export function listingKey(listing: readonly ListedEntry[], stat: (rel: string) => Fingerprint | undefined, trusted?: (f: Fingerprint) => boolean): string | null {
  return keyOf(listing.length, (i) => listing[i]!, stat, trusted);
}

/** listingKey() of a kept listing, without making its entries into objects first (the memo's hot path). */
export function treeKey(tree: MemoTree, stat: (rel: string) => Fingerprint | undefined): string | null {
  const e = { rel: '', type: 'file' as ListedEntry['type'] };
  return keyOf(tree.entries.length, (i) => ((e.rel = tree.entries[i]![0]), (e.type = tree.entries[i]![1]), e), stat);
}

function keyOf(n: number, entry: (i: number) => ListedEntry, stat: (rel: string) => Fingerprint | undefined, trusted?: (f: Fingerprint) => boolean): string | null {
  const h = createHash('sha256');
  let chunk = '';
  for (let i = 0; i < n; i++) {
    const e = entry(i);
    let line = `${e.rel}\0${e.type}\0${e.problem ? `${e.problem.rule}\0${e.problem.message}` : ''}\0`;
    if (e.type === 'file' && e.rel.endsWith('.yaml')) {
      const st = stat(e.rel);
      if (!st || (trusted && !trusted(st))) return null;
      line += `${st[0]}\0${st[1]}\0${st[2]}\0${st[3]}`;
    }
    chunk += `${line}\n`;
    if (chunk.length > 65536) {
      h.update(chunk);
      chunk = '';
    }
  }
  h.update(chunk);
  return h.digest('hex');
}

/** The memo recorded for `digest`, or null (none, another digest, unreadable, corrupt). */
export function loadRunMemo(stateDir: string, digest: string, access: StateAccess): RunMemo | null {
  // never one committed to git (whatever it says), nor one reached through a symbolic link; and
  // while anything under .prompts/ is tracked, no memo at all (that run must report it)
  if (access.tracked.size > 0) return null;
  const text = readStateText(access.root, runMemoFile(stateDir), access.tracked);
  if (text === undefined) return null;
  try {
    const m = JSON.parse(text) as RunMemo;
    const r = m?.result;
    if (m.format !== RUN_MEMO_FORMAT || m.digest !== digest || typeof m.key !== 'string') return null;
    if (!Array.isArray(m.dirs) || m.dirs.length !== 2 || !m.dirs.every((d) => typeof d === 'string')) return null;
    if (!r || typeof r.ok !== 'boolean' || !Array.isArray(r.checked) || !Array.isArray(r.errors) || !Array.isArray(r.warnings)) return null;
    if (m.tree !== undefined && !treeShapeOk(m.tree)) delete m.tree;
    return m;
  } catch {
    return null;
  }
}

/** Records the memo atomically (a cache that cannot be written only costs speed). */
export function saveRunMemo(stateDir: string, memo: Omit<RunMemo, 'format'>, access: StateAccess): void {
  if (access.tracked.size > 0) return;
  try {
    writeCacheFile(runMemoFile(stateDir), JSON.stringify({ format: RUN_MEMO_FORMAT, ...memo }), access.root);
  } catch {
    // read-only checkout
  }
}

function treeShapeOk(t: unknown): t is MemoTree {
  const tree = t as MemoTree;
  const fp = (f: unknown): boolean => f === null || (Array.isArray(f) && f.length === 4 && f.every((n) => typeof n === 'number'));
  return (
    tree !== null &&
    typeof tree === 'object' &&
    Array.isArray(tree.entries) &&
    Array.isArray(tree.dirs) &&
    tree.entries.every((e) => Array.isArray(e) && typeof e[0] === 'string' && (e[1] === 'file' || e[1] === 'dir')) &&
    tree.dirs.every((d) => Array.isArray(d) && typeof d[0] === 'string' && fp(d[1]))
  );
}

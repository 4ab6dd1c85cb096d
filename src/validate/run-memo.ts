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
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { writeCacheFile } from './cache.js';
import type { ListedEntry } from './layout.js';
import type { ValidateResult } from './problem.js';

export const RUN_MEMO_FORMAT = 1;

export interface RunMemo {
  format: number;
  digest: string;
  /** the prompts and environments folders that were listed */
  dirs: [string, string];
  /** listingKey() of the listing */
  key: string;
  result: ValidateResult;
}

export function runMemoFile(stateDir: string): string {
  return path.join(stateDir, 'cache', 'validate-run.json');
}

/**
 * A digest of the listing: each entry's path, type and listing problem, and for every .yaml
 * file its stat fingerprint. Null when a .yaml entry is not a regular file or (when `trusted`
 * is given, for recording) its fingerprint cannot be trusted yet.
 */
export function listingKey(listing: readonly ListedEntry[], stat: (rel: string) => fs.Stats | undefined, trusted?: (st: fs.Stats) => boolean): string | null {
  const h = createHash('sha256');
  let chunk = '';
  for (const e of listing) {
    let line = `${e.rel}\0${e.type}\0${e.problem ? `${e.problem.rule}\0${e.problem.message}` : ''}\0`;
    if (e.type === 'file' && e.rel.endsWith('.yaml')) {
      const st = stat(e.rel);
      if (!st || !st.isFile() || (trusted && !trusted(st))) return null;
      line += `${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}`;
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
export function loadRunMemo(stateDir: string, digest: string): RunMemo | null {
  try {
    const m = JSON.parse(fs.readFileSync(runMemoFile(stateDir), 'utf8')) as RunMemo;
    const r = m?.result;
    if (m.format !== RUN_MEMO_FORMAT || m.digest !== digest || typeof m.key !== 'string') return null;
    if (!Array.isArray(m.dirs) || m.dirs.length !== 2 || !m.dirs.every((d) => typeof d === 'string')) return null;
    if (!r || typeof r.ok !== 'boolean' || !Array.isArray(r.checked) || !Array.isArray(r.errors) || !Array.isArray(r.warnings)) return null;
    return m;
  } catch {
    return null;
  }
}

/** Records the memo atomically (a cache that cannot be written only costs speed). */
export function saveRunMemo(stateDir: string, memo: Omit<RunMemo, 'format'>): void {
  try {
    writeCacheFile(runMemoFile(stateDir), JSON.stringify({ format: RUN_MEMO_FORMAT, ...memo }));
  } catch {
    // read-only checkout
  }
}

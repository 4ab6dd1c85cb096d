/**
 * The validation cache under `.prompts/cache/`: per registry file, the sha256 of its bytes
 * and the problems the per-file checks found. A result is reused only when the bytes hash
 * the same AND the digest of everything else the checks depend on (tool version, schemas,
 * config bytes) is unchanged. To skip even reading a file, a stat fingerprint (size, mtime,
 * ctime, inode) is kept, like git's index, but only for files last changed well before the
 * run that recorded them, so a write within the file system's timestamp granularity is never
 * mistaken for "unchanged". Corrupt or foreign cache files are ignored; writes are atomic.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readStateText, writeStateFile, type StateAccess } from '../registry/state.js';
import type { FileProblemEntry } from './problem.js';
import type { PinFact, InputFacts, CaseFact, FileOutcome, ResolveFacts } from './checks/types.js';

export const CACHE_FORMAT = 2;
/** files changed less than this long before a run are not fingerprinted (racy-git rule) */
export const RACY_MS = 2000;

export type Fingerprint = [size: number, mtimeMs: number, ctimeMs: number, ino: number];

export interface CacheEntry {
  /** sha256 of the bytes */
  s: string;
  /** stat fingerprint, when it is safe to trust */
  f?: Fingerprint;
  /** problems of the per-file checks */
  r: FileProblemEntry[];
  /** environment files: pins */
  p?: PinFact[];
  /** version files: declared inputs */
  i?: InputFacts;
  /** suites: cases */
  c?: CaseFact[];
  /** version files that take part in resolution */
  x?: ResolveFacts;
}

/** The per-file outcome a cache entry holds. */
export function outcomeOf(e: CacheEntry): FileOutcome {
  return { problems: e.r, ...(e.p ? { pins: e.p } : {}), ...(e.i ? { inputs: e.i } : {}), ...(e.c ? { cases: e.c } : {}), ...(e.x ? { res: e.x } : {}) };
}

/** A cache entry for an outcome. */
export function entryOf(s: string, out: FileOutcome, f?: Fingerprint): CacheEntry {
  return { s, ...(f ? { f } : {}), r: out.problems, ...(out.pins ? { p: out.pins } : {}), ...(out.inputs ? { i: out.inputs } : {}), ...(out.cases ? { c: out.cases } : {}), ...(out.res ? { x: out.res } : {}) };
}

interface CacheFile {
  format: number;
  digest: string;
  /** facts shared by many entries (the versions of a prompt mostly declare the same inputs), stored once */
  facts?: unknown[];
  entries: Record<string, StoredEntry>;
}

/** on disk: empty problem lists omitted, facts replaced by their index in `facts` */
type StoredEntry = Omit<CacheEntry, 'r' | 'i' | 'c'> & { r?: FileProblemEntry[]; i?: number; c?: number };

/**
 * Two files: the config and environment files (few; all a --staged run needs) and the rest
 * (a large registry's many version files), so a pre-commit hook does not parse the big one.
 */
export type CachePart = 'env' | 'files';
export function cacheFile(stateDir: string, part: CachePart = 'files'): string {
  return path.join(stateDir, 'cache', part === 'env' ? 'validate-env.json' : 'validate.json');
}

export function fingerprintOf(st: fs.Stats): Fingerprint {
  return [st.size, st.mtimeMs, st.ctimeMs, st.ino];
}

export function sameFingerprint(a: Fingerprint | undefined, b: Fingerprint): boolean {
  return a !== undefined && a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

/** Was the file last changed well before the run (so an unchanged fingerprint means unchanged bytes)? */
export function trustworthy(f: Fingerprint, scanStart: number): boolean {
  return Math.max(f[1], f[2]) < scanStart - RACY_MS;
}

function isStored(x: unknown): x is StoredEntry {
  const e = x as StoredEntry;
  return x !== null && typeof x === 'object' && typeof e.s === 'string' && (e.r === undefined || Array.isArray(e.r));
}

/** The cached entries for `digest`, or an empty map (missing, corrupt, other digest). */
function loadPart(file: string, digest: string, into: Map<string, CacheEntry>, access: StateAccess): void {
  // only a cache promptrail could have written itself: not committed, no symbolic link (registry/state.ts)
  const raw = readStateText(access.root, file, access.tracked);
  if (raw === undefined) return;
  try {
    const data = JSON.parse(raw) as CacheFile;
    if (!data || data.format !== CACHE_FORMAT || data.digest !== digest || typeof data.entries !== 'object' || data.entries === null) return;
    const facts = Array.isArray(data.facts) ? data.facts : [];
    for (const [k, v] of Object.entries(data.entries)) {
      if (!isStored(v)) continue;
      const e: CacheEntry = { s: v.s, r: v.r ?? [] };
      if (v.f) e.f = v.f;
      if (v.p) e.p = v.p;
      if (typeof v.i === 'number') e.i = facts[v.i] as InputFacts;
      if (typeof v.c === 'number') e.c = facts[v.c] as CaseFact[];
      if (v.x && typeof v.x === 'object') e.x = v.x;
      into.set(k, e);
    }
  } catch {
    // corrupt: ignored (and replaced by the next full run)
  }
}

/** The cached entries for `digest` from the given parts, or none (missing, corrupt, other digest). */
export function loadCache(stateDir: string, digest: string, access: StateAccess, parts: CachePart[] = ['env', 'files']): Map<string, CacheEntry> {
  const map = new Map<string, CacheEntry>();
  for (const p of parts) loadPart(cacheFile(stateDir, p), digest, map, access);
  return map;
}

/** Writes both parts atomically; `isEnvPart` tells which entries belong to the small one. */
export function saveCache(stateDir: string, digest: string, entries: Map<string, CacheEntry>, isEnvPart: (rel: string) => boolean, access: StateAccess): void {
  // a cache committed to git is never read: rewriting it would only show up in `git status`
  if (access.tracked.size > 0) return;
  const part = () => {
    const entries: Record<string, StoredEntry> = {};
    const facts: unknown[] = [];
    const index = new Map<string, number>();
    const intern = (x: unknown): number => {
      const key = JSON.stringify(x);
      let i = index.get(key);
      if (i === undefined) {
        i = facts.length;
        facts.push(x);
        index.set(key, i);
      }
      return i;
    };
    return { entries, facts, intern };
  };
  const envPart = part();
  const filesPart = part();
  for (const [k, v] of entries) {
    const { intern, entries: into } = isEnvPart(k) ? envPart : filesPart;
    const stored: StoredEntry = { s: v.s };
    if (v.f) stored.f = v.f;
    if (v.r.length) stored.r = v.r;
    if (v.p) stored.p = v.p;
    if (v.i) stored.i = intern(v.i);
    if (v.c) stored.c = intern(v.c);
    if (v.x) stored.x = v.x;
    into[k] = stored;
  }
  try {
    const file = cacheFile(stateDir, 'files');
    const ignore = path.join(path.dirname(file), '.gitignore');
    if (!fs.existsSync(ignore)) writeCacheFile(ignore, '# promptrail validate cache: never commit\n*\n', access.root);
    writeCacheFile(cacheFile(stateDir, 'env'), JSON.stringify({ format: CACHE_FORMAT, digest, facts: envPart.facts, entries: envPart.entries } satisfies CacheFile), access.root);
    writeCacheFile(file, JSON.stringify({ format: CACHE_FORMAT, digest, facts: filesPart.facts, entries: filesPart.entries } satisfies CacheFile), access.root);
  } catch {
    // a cache that cannot be written (read-only checkout) only costs speed
  }
}

/**
 * Atomic replace without fsync: readers see the old or the new file. After a crash the file
 * may be empty or cut short, which loading treats as no cache (JSON that does not parse), so
 * a cache does not pay for durability it does not need. Only through real folders inside the
 * registry `root` (a `.prompts` that is a symbolic link gets nothing).
 */
export function writeCacheFile(file: string, text: string, root: string): void {
  writeStateFile(root, file, text, { durable: false });
}

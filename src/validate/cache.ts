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
import { writeFileAtomic } from '../registry/files.js';
import type { FileProblemEntry } from './problem.js';
import type { PinFact, InputFacts, CaseFact, FileOutcome } from './checks.js';

export const CACHE_FORMAT = 1;
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
}

/** The per-file outcome a cache entry holds. */
export function outcomeOf(e: CacheEntry): FileOutcome {
  return { problems: e.r, ...(e.p ? { pins: e.p } : {}), ...(e.i ? { inputs: e.i } : {}), ...(e.c ? { cases: e.c } : {}) };
}

/** A cache entry for an outcome. */
export function entryOf(s: string, out: FileOutcome, f?: Fingerprint): CacheEntry {
  return { s, ...(f ? { f } : {}), r: out.problems, ...(out.pins ? { p: out.pins } : {}), ...(out.inputs ? { i: out.inputs } : {}), ...(out.cases ? { c: out.cases } : {}) };
}

interface CacheFile {
  format: number;
  digest: string;
  entries: Record<string, CacheEntry>;
}

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

export function trustworthy(st: fs.Stats, scanStart: number): boolean {
  return Math.max(st.mtimeMs, st.ctimeMs) < scanStart - RACY_MS;
}

function isEntry(x: unknown): x is CacheEntry {
  return x !== null && typeof x === 'object' && typeof (x as CacheEntry).s === 'string' && Array.isArray((x as CacheEntry).r);
}

/** The cached entries for `digest`, or an empty map (missing, corrupt, other digest). */
function loadPart(file: string, digest: string, into: Map<string, CacheEntry>): void {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    return;
  }
  try {
    const data = JSON.parse(raw) as CacheFile;
    if (!data || data.format !== CACHE_FORMAT || data.digest !== digest || typeof data.entries !== 'object' || data.entries === null) return;
    for (const [k, v] of Object.entries(data.entries)) if (isEntry(v)) into.set(k, v);
  } catch {
    // corrupt: ignored (and replaced by the next full run)
  }
}

/** The cached entries for `digest` from the given parts, or none (missing, corrupt, other digest). */
export function loadCache(stateDir: string, digest: string, parts: CachePart[] = ['env', 'files']): Map<string, CacheEntry> {
  const map = new Map<string, CacheEntry>();
  for (const p of parts) loadPart(cacheFile(stateDir, p), digest, map);
  return map;
}

/** Writes both parts atomically; `isEnvPart` tells which entries belong to the small one. */
export function saveCache(stateDir: string, digest: string, entries: Map<string, CacheEntry>, isEnvPart: (rel: string) => boolean): void {
  const env: Record<string, CacheEntry> = {};
  const files: Record<string, CacheEntry> = {};
  for (const [k, v] of entries) (isEnvPart(k) ? env : files)[k] = v;
  try {
    const file = cacheFile(stateDir, 'files');
    const ignore = path.join(path.dirname(file), '.gitignore');
    if (!fs.existsSync(ignore)) writeFileAtomic(ignore, '# promptrail validate cache: never commit\n*\n');
    writeFileAtomic(cacheFile(stateDir, 'env'), JSON.stringify({ format: CACHE_FORMAT, digest, entries: env } satisfies CacheFile));
    writeFileAtomic(file, JSON.stringify({ format: CACHE_FORMAT, digest, entries: files } satisfies CacheFile));
  } catch {
    // a cache that cannot be written (read-only checkout) only costs speed
  }
}

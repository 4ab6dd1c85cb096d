/**
 * Reading registry files from the git index (what `git commit` would record) and from a
 * revision, without touching the working tree. One `git ls-files`/`ls-tree` for the listing
 * and one `git cat-file --batch` for all blob contents, so `validate --staged` stays fast.
 */
import { spawn } from 'node:child_process';
import { git, GitError } from './run.js';

export interface IndexEntry {
  /** path relative to the directory the listing was made from, "/" separators */
  path: string;
  mode: string;
  oid: string;
  /** 0 normally; 1-3 for unmerged (conflicted) entries */
  stage: number;
}

/** `git ls-files -s` of `paths` (relative to `cwd`): the staged entries. */
export async function listIndex(cwd: string, paths: string[]): Promise<IndexEntry[]> {
  const out = await git(cwd, ['ls-files', '-s', '-z', '--', ...paths]);
  const entries: IndexEntry[] = [];
  // "<mode> <oid> <stage>\t<path>\0" records, parsed by offsets (11k entries on large registries)
  for (let at = 0; at < out.length; ) {
    let end = out.indexOf('\0', at);
    if (end === -1) end = out.length;
    const tab = out.indexOf('\t', at);
    if (tab !== -1 && tab < end) {
      const s1 = out.indexOf(' ', at);
      const s2 = out.indexOf(' ', s1 + 1);
      entries.push({ path: out.slice(tab + 1, end), mode: out.slice(at, s1), oid: out.slice(s1 + 1, s2), stage: Number(out.slice(s2 + 1, tab)) });
    }
    at = end + 1;
  }
  return entries;
}

/** `git ls-tree -r` of `rev` limited to `paths` (relative to `cwd`). */
export async function listTree(cwd: string, rev: string, paths: string[]): Promise<IndexEntry[]> {
  const out = await git(cwd, ['ls-tree', '-r', '-z', rev, '--', ...paths]);
  const entries: IndexEntry[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, , oid] = rec.slice(0, tab).split(' ');
    entries.push({ path: rec.slice(tab + 1), mode: mode!, oid: oid!, stage: 0 });
  }
  return entries;
}

export interface StagedChange {
  /** A added, M modified, D deleted, T type changed, … */
  status: string;
  path: string;
}

/** Paths staged for the next commit (relative to `cwd`, limited to `cwd`'s subtree). */
export async function stagedChanges(cwd: string): Promise<StagedChange[]> {
  const out = await git(cwd, ['diff', '--cached', '--name-status', '-z', '--no-renames', '--relative']);
  const parts = out.split('\0');
  const changes: StagedChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const status = parts[i]!;
    const p = parts[i + 1]!;
    if (!status) break;
    changes.push({ status: status[0]!, path: p });
  }
  return changes;
}

/** Reads many blobs with one `git cat-file --batch`. Missing objects are absent from the map. */
export function readBlobs(cwd: string, oids: string[]): Promise<Map<string, Buffer>> {
  const unique = [...new Set(oids)];
  if (unique.length === 0) return Promise.resolve(new Map());
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['cat-file', '--batch'], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', (e) => reject(new GitError(`git cat-file failed: ${e.message}`, ['cat-file'], null, err)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new GitError(`git cat-file failed: ${err.trim()}`, ['cat-file', '--batch'], code, err));
        return;
      }
      const buf = Buffer.concat(chunks);
      const map = new Map<string, Buffer>();
      let off = 0;
      for (const oid of unique) {
        const nl = buf.indexOf(10, off);
        if (nl === -1) break;
        const header = buf.subarray(off, nl).toString('utf8');
        off = nl + 1;
        if (header.endsWith(' missing')) continue;
        const size = Number(header.split(' ')[2]);
        map.set(oid, buf.subarray(off, off + size));
        off += size + 1; // content is followed by a newline
      }
      resolve(map);
    });
    child.stdin.end(unique.map((o) => `${o}\n`).join(''));
  });
}

/** Is `rev` a commit? Returns the full object id, or null. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  if (rev.startsWith('-')) return null;
  try {
    const out = await git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return out.trim() || null;
  } catch {
    return null;
  }
}

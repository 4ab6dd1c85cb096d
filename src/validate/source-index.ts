/**
 * `validate --staged` reads the git index, not the working tree: the index's listing (all of it,
 * or only the folders the staged changes touch), its blobs with one `git cat-file --batch`,
 * staged symbolic links followed inside the index only.
 */
import * as path from 'node:path';
import { CONFIG_FILE } from '../paths.js';
import type { ListedEntry } from './layout.js';
import type { Blob, Source } from './source.js';

export interface IndexSource extends Source {
  /** `git ls-files -s` of these pathspecs (a listing like list()'s) */
  listSpecs(specs: string[]): Promise<ListedEntry[]>;
  /** is this listed path a symbolic link in the index? */
  isLink(rel: string): boolean;
}

export async function indexSource(root: string): Promise<IndexSource> {
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

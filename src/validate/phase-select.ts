/**
 * Phase 3, the selection: which files this run checks and reports (everything; the staged
 * changes; the files under the given paths), and the registry's structure as far as the
 * listing shows it (which path is what kind of file, stray and misnamed files, collisions).
 * A partial run analyzes only the folders it touches, plus the environments.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../errors.js';
import { CONFIG_FILE } from '../paths.js';
import { isInside } from '../registry/files.js';
import type { StagedChange } from '../git/staged.js';
import { analyzeLayout, isStrictSemver, type Layout, type ListedEntry } from './layout.js';
import type { ConfigStage } from './phase-config.js';
import type { EngineOptions, Run } from './run.js';

export interface Selection {
  /** the files selected (null: every file) */
  selected: Set<string> | null;
  /** --staged: the paths whose deletion is staged */
  deleted: Set<string>;
  inSel(rel: string): boolean;
  layout: Layout;
  /** type of every listed path */
  listedType: Map<string, ListedEntry['type']>;
  /** every prompt id the listing shows (the whole registry's once a partial listing was widened) */
  allIds: Set<string>;
  /** is there a version file at this path? */
  versionExists(rel: string): boolean;
  /** the versions of a prompt the listing shows */
  versionsOf(id: string): string[];
  /** the environment files */
  envRels: string[];
  /** the files whose per-file checks run: the selection, plus every environment file */
  toCheck: string[];
}

export async function select(run: Run, changes: readonly StagedChange[], cfg: ConfigStage): Promise<Selection> {
  const { promptsDir, environmentsDir } = cfg;
  let selected: Set<string> | null = null; // null = everything
  const deleted = new Set<string>();
  if (run.idx) {
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
  if (run.opts.paths.length) {
    const fromPaths = selectPaths(run.opts, run.listing);
    if (fromPaths !== null) selected = selected ? new Set([...selected].filter((r) => fromPaths.has(r))) : fromPaths;
  }
  if (selected?.has(CONFIG_FILE)) selected = null;
  if (selected === null && run.partial) await run.relist([promptsDir, environmentsDir]);

  const { listing } = run;
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
  const sel = selected;
  const inSel = (rel: string): boolean => sel === null || sel.has(rel);
  // the environment files are always checked: their pins tell which environments reference a selected version
  const toCheck = [...layout.files.keys()].filter((r) => r !== CONFIG_FILE && (inSel(r) || layout.files.get(r) === 'environment'));
  return { selected, deleted, inSel, layout, listedType, allIds, versionExists, versionsOf, envRels, toCheck };
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

/**
 * What `validate --base` asks git about environment files and suites: every version a path had
 * in the history of a revision (its blob ids), and the commits of a range that touched a folder.
 * One `git log` each.
 */
import { git } from './run.js';

/** The blob ids a path (relative to `cwd`) had in every commit reachable from `rev`. */
export async function blobsInHistory(cwd: string, rev: string, paths: string[]): Promise<Map<string, Set<string>>> {
  const out = await git(cwd, ['log', '--no-color', '--format=', '--raw', '--no-abbrev', '--no-renames', '--relative', '-z', rev, '--', ...paths.map((p) => `:(literal)${p}`)]);
  const byPath = new Map<string, Set<string>>();
  // -z raw records: ":<mode> <mode> <old> <new> <status>\0<path>\0"
  const parts = out.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = parts[i]!.replace(/^\n+/, '');
    const file = parts[i + 1]!;
    const m = /^:\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) [A-Z]/.exec(meta);
    if (!m) continue;
    let set = byPath.get(file);
    if (!set) byPath.set(file, (set = new Set()));
    for (const oid of [m[1]!, m[2]!]) if (!/^0+$/.test(oid)) set.add(oid);
  }
  return byPath;
}

export interface RangeCommit {
  hash: string;
  subject: string;
  /** every file the commit changed, relative to `cwd` ("../…" for files outside it) */
  files: string[];
}

/** The commits in `from..to` that touched `dir` (relative to `cwd`), newest first, each with all the files it changed. */
export async function commitsTouching(cwd: string, from: string, to: string, dir: string): Promise<RangeCommit[]> {
  const [prefixOut, out] = await Promise.all([
    git(cwd, ['rev-parse', '--show-prefix']),
    git(cwd, ['-c', 'core.quotePath=off', 'log', '--no-color', '--format=%x1e%H%x00%s', '--name-only', '--no-renames', '--full-diff', `${from}..${to}`, '--', `:(literal)${dir}`]),
  ]);
  const prefix = prefixOut.trim();
  const rel = (top: string): string => (top.startsWith(prefix) ? top.slice(prefix.length) : `../${top}`);
  const commits: RangeCommit[] = [];
  for (const rec of out.split('\x1e')) {
    if (!rec.trim()) continue;
    const [head, ...rest] = rec.split('\n');
    const [hash, subject] = (head ?? '').split('\0');
    if (hash) commits.push({ hash, subject: subject ?? '', files: rest.map((l) => l.trim()).filter(Boolean).map(rel) });
  }
  return commits;
}

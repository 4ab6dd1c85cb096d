/**
 * `validate --base <rev>`: version files are immutable, so every version file that exists at
 * <rev> must be byte-identical now (in the working tree, or in the index with --staged), and
 * a version that is new since <rev> must be at least the bump its change requires compared
 * with its predecessor (src/core/semver-rules.ts).
 */
import semver from 'semver';
import { changesAgainst } from '../git/worktree.js';
import { listTree } from '../git/staged.js';
import { isStrictSemver, sortVersions } from '../core/ref.js';
import { requiredBump, bumpSatisfies, stepLevel, nextVersion, releaseTypeFor } from '../core/semver-rules.js';
import { decodeRegistryBytes, type FileProblem } from '../registry/files.js';
import { parseYaml, positionOf } from '../registry/yaml.js';
import type { PromptFile } from '../core/types.js';
import type { Layout } from './layout.js';
import { versionRel } from './layout.js';
import type { Problem } from './problem.js';

export interface BaseInput {
  root: string;
  commit: string;
  /** what the user typed, for messages */
  rev: string;
  staged: boolean;
  promptsDir: string;
  layout: Layout;
  read(rels: string[]): Promise<Map<string, { bytes?: Buffer; problem?: FileProblem }>>;
}

function versionFileParts(rel: string, promptsDir: string): { id: string; version: string } | null {
  if (!rel.startsWith(`${promptsDir}/`) || !rel.endsWith('.yaml')) return null;
  const inner = rel.slice(promptsDir.length + 1);
  const slash = inner.lastIndexOf('/');
  if (slash === -1) return null;
  const version = inner.slice(slash + 1, -5);
  return isStrictSemver(version) ? { id: inner.slice(0, slash), version } : null;
}

export async function checkAgainstBase(o: BaseInput): Promise<Problem[]> {
  const out: Problem[] = [];
  const [tree, changes] = await Promise.all([listTree(o.root, o.commit, [o.promptsDir]), changesAgainst(o.root, o.commit, [o.promptsDir], { cached: o.staged })]);
  const baseFiles = new Set(tree.map((e) => e.path).filter((p) => versionFileParts(p, o.promptsDir)));
  const where = o.staged ? 'in the index' : 'in the working tree';
  for (const { status, path: rel } of changes) {
    if (!baseFiles.has(rel)) continue;
    const { id } = versionFileParts(rel, o.promptsDir)!;
    if (status === 'D') {
      out.push({
        file: rel,
        line: 1,
        column: 1,
        rule: 'immutable-version-deleted',
        severity: 'error',
        message: `version file existed at ${o.rev} but is deleted ${where}; released versions are never removed: restore it (git checkout ${o.rev} -- ${rel})`,
      });
    } else if (status === 'M' || status === 'T') {
      out.push({
        file: rel,
        line: 1,
        column: 1,
        rule: 'immutable-version-changed',
        severity: 'error',
        message: `version file differs from ${o.rev} ${where}; versions are immutable: restore it (git checkout ${o.rev} -- ${rel}) and put the change in a new version (prompts bump ${id})`,
      });
    }
  }

  // new versions: is the bump from the predecessor big enough for the change?
  const fresh: { id: string; version: string; prev: string }[] = [];
  for (const [id, versions] of o.layout.versions) {
    const sorted = sortVersions(versions);
    sorted.forEach((v, i) => {
      if (i === 0 || baseFiles.has(versionRel(o.promptsDir, id, v))) return;
      fresh.push({ id, version: v, prev: sorted[i - 1]! });
    });
  }
  if (fresh.length === 0) return out;
  const rels = new Set<string>();
  for (const f of fresh) {
    rels.add(versionRel(o.promptsDir, f.id, f.version));
    rels.add(versionRel(o.promptsDir, f.id, f.prev));
  }
  const blobs = await o.read([...rels]);
  const load = (rel: string): { value: PromptFile; text: string } | null => {
    const b = blobs.get(rel)?.bytes;
    if (!b) return null;
    const d = decodeRegistryBytes(b);
    if ('rule' in d) return null;
    const parsed = parseYaml(d.text);
    const v = parsed.value;
    if (parsed.issues.length || v === null || typeof v !== 'object') return null;
    return { value: v as PromptFile, text: d.text };
  };
  for (const f of fresh) {
    const nextRel = versionRel(o.promptsDir, f.id, f.version);
    const next = load(nextRel);
    const prev = load(versionRel(o.promptsDir, f.id, f.prev));
    if (!next || !prev) continue;
    let need;
    try {
      need = requiredBump(prev.value, next.value);
    } catch {
      continue; // a malformed file: its own problems are reported by the per-file checks
    }
    if (bumpSatisfies(f.prev, f.version, need.level)) continue;
    const step = stepLevel(f.prev, f.version) ?? 'patch';
    const suggestion = nextVersion(f.prev, releaseTypeFor(f.prev, need.level));
    const pos = positionOf(parseYaml(next.text), '/version');
    const prerelease = semver.prerelease(f.version) ? ' (prerelease)' : '';
    out.push({
      file: nextRel,
      ...pos,
      rule: 'bump-too-small',
      severity: 'error',
      message: `${f.version}${prerelease} is a ${step} step from ${f.prev}, but the change needs a ${need.level} bump: ${need.reasons.slice(0, 3).join('; ')}${need.reasons.length > 3 ? `; and ${need.reasons.length - 3} more` : ''}${suggestion ? `; make it ${suggestion} instead` : ''}`,
    });
  }
  return out;
}

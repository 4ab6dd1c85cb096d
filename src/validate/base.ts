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
import { readFileAtRev } from '../git/show.js';
import { CONFIG_FILE } from '../paths.js';
import { displayUrl } from '../providers/http.js';
import { ENDPOINT_FIELDS } from '../providers/types.js';
import { hasOwnKey } from '../core/own.js';


type Providers = Record<string, Record<string, unknown>>;

function providersOf(bytes: Buffer | undefined): { value: Providers; parsed: ReturnType<typeof parseYaml> } | null {
  if (!bytes) return null;
  const d = decodeRegistryBytes(bytes);
  if ('rule' in d) return null;
  const parsed = parseYaml(d.text);
  const v = parsed.value as { providers?: unknown } | null;
  if (parsed.issues.length || v === null) return null;
  const p = v.providers;
  return { value: p && typeof p === 'object' && !Array.isArray(p) ? (p as Providers) : {}, parsed };
}

function shown(field: string, v: unknown): string {
  if (v === undefined) return 'unset';
  if (field === 'base_url' && typeof v === 'string') return JSON.stringify(displayUrl(v));
  if (field === 'headers' && v && typeof v === 'object') return `{ ${Object.keys(v).join(', ')} }`;
  return JSON.stringify(v);
}

const sends = (p: Record<string, unknown>): boolean => p.type !== 'echo' || ENDPOINT_FIELDS.some((f) => f !== 'type' && p[f] !== undefined);

/**
 * `provider-changed`: a provider whose type, base_url, api_key_env or headers differ from <rev>'s
 * config, or that was added or removed since — the change that would send a key somewhere else
 * (SPEC §11). A registry without a config at <rev> has nothing to compare with.
 */
async function providerChanges(o: BaseInput): Promise<Problem[]> {
  const [baseBytes, now] = await Promise.all([readFileAtRev(o.root, o.commit, CONFIG_FILE), o.read([CONFIG_FILE])]);
  const base = providersOf(baseBytes ?? undefined);
  const cur = providersOf(now.get(CONFIG_FILE)?.bytes);
  if (!base || !cur) return [];
  const out: Problem[] = [];
  const fix = `keys go only where the reviewed config sends them: revert it, or land the provider change on its own, reviewed by the keys' owners (eval --base ${o.rev} uses ${o.rev}'s providers)`;
  const at = (pointer: string, key?: string): { line: number; column: number } => positionOf(cur.parsed, pointer, key);
  const push = (pos: { line: number; column: number }, message: string): void => {
    out.push({ file: CONFIG_FILE, ...pos, rule: 'provider-changed', severity: 'error', message: `${message}; ${fix}` });
  };
  const esc = (n: string): string => n.replace(/~/g, '~0').replace(/\//g, '~1');
  for (const name of Object.keys(cur.value)) {
    const c = cur.value[name] ?? {};
    if (!hasOwnKey(base.value, name)) {
      if (sends(c)) push(at('/providers', name), `provider "${name}" was added since ${o.rev} (${shown('type', c.type)}, base_url ${shown('base_url', c.base_url)}, api_key_env ${shown('api_key_env', c.api_key_env)})`);
      continue;
    }
    const b = base.value[name] ?? {};
    for (const f of ENDPOINT_FIELDS) {
      if (JSON.stringify(b[f] ?? null) === JSON.stringify(c[f] ?? null)) continue;
      const pos = c[f] !== undefined ? at(`/providers/${esc(name)}/${f}`) : at('/providers', name);
      push(pos, `provider "${name}": ${f} changed since ${o.rev} (${shown(f, b[f])} -> ${shown(f, c[f])})`);
    }
  }
  for (const name of Object.keys(base.value)) {
    if (!hasOwnKey(cur.value, name) && sends(base.value[name] ?? {})) push(at('/providers'), `provider "${name}" was removed since ${o.rev}`);
  }
  return out;
}

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
  const [tree, changes, providers] = await Promise.all([listTree(o.root, o.commit, [o.promptsDir]), changesAgainst(o.root, o.commit, [o.promptsDir], { cached: o.staged }), providerChanges(o)]);
  out.push(...providers);
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

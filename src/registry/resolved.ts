/**
 * Resolution over the registry on disk: the loader core/resolve.ts reads version files through
 * (each read, guarded and schema-checked once per command, its sha256 taken from the very bytes
 * checked with the one function pins use), and `resolveVersion`, which every command that
 * renders, evaluates, diffs, bumps, pins or ships a prompt calls. A problem stops the command
 * with the file:line:col of the key at fault (exit 1), like a broken version file.
 */
import * as fs from 'node:fs';
import { CheckFailed } from '../errors.js';
import { didYouMean } from '../core/suggest.js';
import { keyOf, resolveDocument, resolvedContent, resolvedPrompt, type DocLoader, type LoadOutcome, type Resolution, type ResolvedPrompt, type ResolveProblem, type VersionDoc } from '../core/resolve.js';
import type { PartialFile, PromptVersionFile } from '../core/types.js';
import { idProblem } from '../core/ref.js';
import { contentSha256, sha256 } from './files.js';
import { canonicalJson } from '../core/json.js';
import { positionOf } from './yaml.js';
import type { LoadedYaml, Registry } from './registry.js';

export type VersionValue = PromptVersionFile | PartialFile;

/** A version file read for resolution: the loaded YAML (positions on demand) and its document. */
export interface LoadedVersion {
  loaded: LoadedYaml<VersionValue>;
  doc: VersionDoc;
}

/** Reads `<id>@<version>` of either kind; throws like Registry.loadYaml (exit 1 with file:line:col, exit 2 when unknown). */
export function loadVersion(reg: Registry, id: string, version: string): LoadedVersion {
  const loaded = reg.loadPrompt(id, version) as unknown as LoadedYaml<VersionValue>;
  return asLoadedVersion(id, version, loaded);
}

export function asLoadedVersion(id: string, version: string, loaded: LoadedYaml<VersionValue>): LoadedVersion {
  return { loaded, doc: { id, version, sha256: contentSha256(loaded.decoded.bytes), value: loaded.value as unknown as Record<string, unknown> } };
}

/** A loader over the registry: every file read once; `files` keeps what was read, for positions. */
export interface RegistryLoader {
  load: DocLoader;
  files: Map<string, LoadedVersion>;
}

export function registryLoader(reg: Registry, known: readonly LoadedVersion[] = []): RegistryLoader {
  const files = new Map<string, LoadedVersion>();
  for (const k of known) files.set(keyOf(k.doc.id, k.doc.version), k);
  const outcomes = new Map<string, LoadOutcome>();
  const load: DocLoader = (id, version) => {
    const key = keyOf(id, version);
    const have = files.get(key);
    if (have) return have.doc;
    const memo = outcomes.get(key);
    if (memo) return memo;
    let out: LoadOutcome;
    if (idProblem(id) !== null) out = { missing: 'prompt' };
    else {
      const versions = reg.listVersions(id);
      if (versions.length === 0) out = { missing: 'prompt', suggestion: didYouMean(id, reg.listPromptIds()) };
      else if (!versions.includes(version) || !fs.existsSync(reg.versionPath(id, version))) out = { missing: 'version', versions };
      else {
        try {
          const lv = loadVersion(reg, id, version);
          files.set(key, lv);
          out = lv.doc;
        } catch (e) {
          out = { invalid: e instanceof Error ? e.message : String(e) };
        }
      }
    }
    outcomes.set(key, out);
    return out;
  };
  return { load, files };
}

/** The error of a resolution problem, at the position of its key in the file at fault. */
export function problemError(reg: Registry, files: ReadonlyMap<string, LoadedVersion>, p: ResolveProblem, more = 0): CheckFailed {
  const lv = files.get(keyOf(p.at.id, p.at.version));
  const rel = lv?.loaded.rel ?? reg.rel(reg.versionPath(p.at.id, p.at.version));
  const pos = lv ? positionOf(lv.loaded.parsed, p.at.pointer) : { line: 1, column: 1 };
  return new CheckFailed(p.message, { location: { file: rel, ...pos }, hint: more > 0 ? `${more} more problem(s); run "prompts validate"` : 'run "prompts validate" to see every problem' });
}

export interface ResolvedVersion {
  resolution: Resolution;
  /** the resolved prompt (a partial's has its template as one user message and no model) */
  resolved: ResolvedPrompt;
  /** the root file as read */
  root: LoadedVersion;
  /** every file read, by key */
  files: Map<string, LoadedVersion>;
}

/**
 * Resolves a version of the registry (or `root`, an already loaded file such as the committed
 * content bump compares with). Throws the first problem (exit 1, with file:line:col).
 */
export function resolveVersion(reg: Registry, ref: { id: string; version: string } | LoadedVersion, loader?: RegistryLoader): ResolvedVersion {
  const root = 'doc' in ref ? ref : loadVersion(reg, ref.id, ref.version);
  const l = loader ?? registryLoader(reg, [root]);
  if (!l.files.has(keyOf(root.doc.id, root.doc.version))) l.files.set(keyOf(root.doc.id, root.doc.version), root);
  const resolution = resolveDocument(root.doc, l.load);
  const first = resolution.problems[0];
  if (first) throw problemError(reg, l.files, first, resolution.problems.length - 1);
  return { resolution, resolved: resolvedPrompt(resolution), root, files: l.files };
}

/**
 * Template syntax of a resolved version: its effective text (in the file it comes from) and
 * every partial's template, each problem thrown with its position in that file (exit 1).
 */
export async function checkResolvedTemplates(rv: ResolvedVersion): Promise<void> {
  const { parseTemplate } = await import('../core/template.js');
  const { fullDoc } = await import('../validate/full-doc.js');
  const texts: { key: string; pointer: string; text: string }[] = [];
  const body = rv.resolution.origin('template') ?? rv.resolution.root;
  const bodyKey = keyOf(body.id, body.version);
  const p = rv.resolved.prompt;
  if (p.messages) p.messages.forEach((m, i) => texts.push({ key: bodyKey, pointer: `/messages/${i}/content`, text: m.content }));
  else texts.push({ key: bodyKey, pointer: '/template', text: p.template ?? '' });
  for (const [k, spec] of Object.entries(rv.resolved.library.partials)) texts.push({ key: k, pointer: '/template', text: spec.template });
  for (const t of texts) {
    const parsed = parseTemplate(t.text);
    if (!('problem' in parsed)) continue;
    const lv = rv.files.get(t.key);
    const msg = parsed.problem.message.replace(/^template syntax error: /, '');
    throw new CheckFailed(`${parsed.problem.rule === 'template-syntax' ? 'template syntax error: ' : ''}${msg} (template line ${parsed.problem.line}, column ${parsed.problem.column})`, {
      location: lv ? { file: lv.loaded.rel, ...fullDoc(lv.loaded.parsed, lv.loaded.decoded.text).posInScalar(t.pointer, parsed.problem.line, parsed.problem.column) } : undefined,
      hint: 'run "prompts validate" to see every problem',
    });
  }
}

/** The loaded file a top-level key of the resolved prompt comes from (for positions), else the root. */
export function originFile(rv: ResolvedVersion, key: string): LoadedVersion {
  const d = rv.resolution.origin(key) ?? rv.resolution.root;
  return rv.files.get(keyOf(d.id, d.version)) ?? rv.root;
}

/** Pin deps that differ from the resolved closure: the warning for a `<id>@<env>` whose partials changed since. */
export function depsDrift(recorded: Readonly<Record<string, string>> | undefined, now: Readonly<Record<string, string>>): string[] {
  const r = recorded ?? {};
  const out: string[] = [];
  for (const [k, s] of Object.entries(now)) if (r[k] !== s) out.push(Object.hasOwn(r, k) ? `${k} changed` : `${k} not recorded`);
  for (const k of Object.keys(r)) if (!Object.hasOwn(now, k)) out.push(`${k} recorded but not used`);
  return out;
}

/** sha256 of the canonical JSON of a resolved prompt's content (core/resolve.ts resolvedContent). */
export function resolvedDigest(r: Pick<ResolvedPrompt, 'prompt' | 'library'>): string {
  return sha256(canonicalJson(resolvedContent(r)));
}

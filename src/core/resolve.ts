/**
 * Resolution (SPEC §14): the one function that turns a version file into what every command
 * uses — `extends` applied (a chain of exact versions, nearest parent first), the effective
 * `uses:`, every partial of the closure, and the sha256 of each file besides the root (`deps`,
 * what pins record). Pure: the documents come from a loader (the registry on disk, the git
 * index, a bundle, validate's per-file facts), already parsed and schema-checked.
 *
 * Merging (`extends`): every top-level key of the parent is inherited except id, version,
 * created, changes and author; the child's keys replace the parent's, except `inputs`, whose
 * `properties` are merged (the child's win) and whose `required` lists are united. `template` and
 * `messages` are one slot: a child that sets either replaces the parent's text. `uses:` is a key
 * like any other: a child that declares it replaces the parent's, so a child may swap the
 * partial an inherited template includes.
 *
 * Every problem is attributed to the file and key that causes it (the `uses:` entry naming an
 * unknown partial, the `extends:` closing a cycle), so validate reports it there with its
 * line:col, and other commands stop at it.
 */
import type { DepsMap, JsonSchema, Message, PromptFile, UsesMap } from './types.js';
import { isObject } from './json.js';
import { idProblem, isStrictSemver } from './ref.js';
import { MAX_PARTIAL_DEPTH, type PartialSpec, type TemplateLibrary } from './partials.js';

/** How many versions an `extends` chain may hold above the file itself. */
export const MAX_EXTENDS_DEPTH = 8;

/** A version file as resolution sees it: its id, version, the sha256 of its bytes and its value. */
export interface VersionDoc {
  id: string;
  version: string;
  /** sha256 of the file's bytes: the digest a pin records (registry/files.ts sha256) */
  sha256: string;
  /** the parsed, schema-valid file (validate passes a skeleton with the same keys) */
  value: Record<string, unknown>;
}

export type LoadOutcome =
  | VersionDoc
  | { missing: 'prompt'; suggestion?: string }
  | { missing: 'version'; versions: readonly string[] }
  /** the file exists but cannot be used (its own problems are reported where it is) */
  | { invalid: string };

/** Loads `<id>@<version>` (memoize: resolution may ask for one file twice). */
export type DocLoader = (id: string, version: string) => LoadOutcome;

export type ResolveRule =
  | 'uses-invalid'
  | 'uses-unknown'
  | 'uses-not-partial'
  | 'uses-broken'
  | 'partial-cycle'
  | 'partial-depth'
  | 'extends-invalid'
  | 'extends-unknown'
  | 'extends-partial'
  | 'extends-broken'
  | 'extends-cycle'
  | 'extends-depth'
  | 'extends-incomplete';

export interface ResolveProblem {
  rule: ResolveRule;
  message: string;
  /** the file at fault and the key there (JSON pointer) */
  at: { id: string; version: string; pointer: string };
}

export interface Resolution {
  root: VersionDoc;
  kind: 'prompt' | 'partial';
  /** the root, then the versions it extends, nearest first */
  chain: VersionDoc[];
  /** the root's value with `extends` applied (without `kind` and `extends`) */
  merged: Record<string, unknown>;
  /** the nearest file of the chain that sets a top-level key (where that key's content comes from) */
  origin(key: string): VersionDoc | undefined;
  /** the effective `uses:` (strings only) */
  uses: UsesMap;
  /** every partial of the closure, by `<id>@<version>` */
  partials: Map<string, VersionDoc>;
  /** sha256 of every file of the closure but the root, by `<id>@<version>` (sorted keys) */
  deps: DepsMap;
  problems: ResolveProblem[];
}

export const keyOf = (id: string, version: string): string => `${id}@${version}`;

/** Is the value a partial's (`kind: partial`)? */
export function isPartialValue(value: unknown): boolean {
  return isObject(value) && value.kind === 'partial';
}

/** `<id>@<version>` with an exact version, or why not. */
export function parseVersionRef(text: unknown): { id: string; version: string } | { problem: string } {
  if (typeof text !== 'string') return { problem: 'must be a string <id>@<version>' };
  const at = text.lastIndexOf('@');
  if (at <= 0) return { problem: `"${text}" names no version: write <id>@<version> with an exact version, e.g. shared/tone@1.2.0` };
  const id = text.slice(0, at);
  const version = text.slice(at + 1);
  const ip = idProblem(id);
  if (ip) return { problem: `"${id}" is not a valid id: ${ip}` };
  if (!isStrictSemver(version) || version.includes('+')) {
    return { problem: `"${version}" is not an exact version: write <id>@<version> with a semver version such as 1.2.0 (no range, tag, environment or build metadata)` };
  }
  return { id, version };
}

const NOT_INHERITED = new Set(['id', 'version', 'created', 'changes', 'author', 'kind', 'extends']);
const TEXT_KEYS = new Set(['template', 'messages']);

function unionRequired(a: unknown, b: unknown): unknown[] | undefined {
  if (!Array.isArray(a) && !Array.isArray(b)) return undefined;
  const out: unknown[] = [];
  for (const x of [...(Array.isArray(a) ? a : []), ...(Array.isArray(b) ? b : [])]) if (!out.includes(x)) out.push(x);
  return out;
}

/** `inputs` of a child over its parent's: other keys replaced, `properties` merged, `required` united. */
export function mergeInputs(parent: JsonSchema, child: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...parent, ...child };
  if (isObject(parent.properties) || isObject(child.properties)) {
    out.properties = { ...(isObject(parent.properties) ? parent.properties : {}), ...(isObject(child.properties) ? child.properties : {}) };
  }
  const required = unionRequired(parent.required, child.required);
  if (required) out.required = required;
  return out;
}

/** One step of `extends`: the parent's (already merged) value under the child's own. */
export function mergeExtends(parent: Record<string, unknown>, child: Record<string, unknown>): Record<string, unknown> {
  const childText = Object.hasOwn(child, 'template') || Object.hasOwn(child, 'messages');
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parent)) {
    if (NOT_INHERITED.has(k) || (childText && TEXT_KEYS.has(k))) continue;
    out[k] = v;
  }
  for (const [k, v] of Object.entries(child)) {
    if (k === 'kind' || k === 'extends') continue;
    out[k] = k === 'inputs' && isObject(out.inputs) && isObject(v) ? mergeInputs(out.inputs, v) : v;
  }
  return out;
}

const escapePointer = (k: string): string => k.replace(/~/g, '~0').replace(/\//g, '~1');

function missingMessage(what: string, id: string, version: string, got: Exclude<LoadOutcome, VersionDoc>): string {
  if ('invalid' in got) return `${what} ${id}@${version}, which is not a valid version file (${got.invalid}); fix that file first`;
  if (got.missing === 'prompt') return `${what} ${id}@${version}, but there is no prompt or partial "${id}"${got.suggestion ? `; did you mean "${got.suggestion}"?` : ''}`;
  const versions = got.versions;
  return `${what} ${id}@${version}, but ${id} has no version ${version}${versions.length ? ` (versions: ${versions.join(', ')})` : ''}`;
}

/** Resolves a version file: its `extends` chain and merged value, its effective uses and their closure, its deps. */
export function resolveDocument(root: VersionDoc, load: DocLoader): Resolution {
  const problems: ResolveProblem[] = [];
  const at = (d: VersionDoc, pointer: string): ResolveProblem['at'] => ({ id: d.id, version: d.version, pointer });
  const kind = isPartialValue(root.value) ? 'partial' : 'prompt';
  const rootKey = keyOf(root.id, root.version);

  // 1. the extends chain (a partial has none: its schema has no `extends`)
  const chain: VersionDoc[] = [root];
  if (kind === 'prompt') {
    for (let cur = root; cur.value.extends !== undefined; ) {
      const ref = parseVersionRef(cur.value.extends);
      const here = at(cur, '/extends');
      if ('problem' in ref) {
        problems.push({ rule: 'extends-invalid', message: `extends ${ref.problem}`, at: here });
        break;
      }
      const key = keyOf(ref.id, ref.version);
      const keys = chain.map((d) => keyOf(d.id, d.version));
      if (keys.includes(key)) {
        problems.push({ rule: 'extends-cycle', message: `extends ${key}, which extends back to it: ${[...keys, key].join(' -> ')}; a version cannot inherit from itself`, at: here });
        break;
      }
      if (chain.length > MAX_EXTENDS_DEPTH) {
        problems.push({ rule: 'extends-depth', message: `the extends chain is longer than ${MAX_EXTENDS_DEPTH} versions (${[...keys, key].join(' -> ')}); extend a version nearer the base`, at: here });
        break;
      }
      const got = load(ref.id, ref.version);
      if (!('value' in got)) {
        problems.push({ rule: 'invalid' in got ? 'extends-broken' : 'extends-unknown', message: missingMessage('extends', ref.id, ref.version, got), at: here });
        break;
      }
      if (isPartialValue(got.value)) {
        problems.push({ rule: 'extends-partial', message: `extends ${key}, which is a partial: a prompt extends a prompt version; include a partial with uses: and {{> name}}`, at: here });
        break;
      }
      chain.push(got);
      cur = got;
    }
  }

  // 2. the merged value, from the farthest ancestor down
  let merged: Record<string, unknown> = { ...chain[chain.length - 1]!.value };
  for (let i = chain.length - 2; i >= 0; i--) merged = mergeExtends(merged, chain[i]!.value);
  delete merged.extends;
  delete merged.kind;
  const origin = (key: string): VersionDoc | undefined => {
    if (TEXT_KEYS.has(key)) return chain.find((d) => Object.hasOwn(d.value, 'template') || Object.hasOwn(d.value, 'messages'));
    return chain.find((d) => Object.hasOwn(d.value, key));
  };
  if (kind === 'prompt' && chain.length > 1 && problems.length === 0) {
    const missing = [merged.model === undefined ? '"model"' : null, merged.template === undefined && merged.messages === undefined ? '"template" or "messages"' : null].filter((x) => x !== null);
    if (missing.length) {
      problems.push({
        rule: 'extends-incomplete',
        message: `neither this file nor the versions it extends (${chain.slice(1).map((d) => keyOf(d.id, d.version)).join(' -> ')}) set ${missing.join(' or ')}; add it here`,
        at: at(root, '/extends'),
      });
    }
  }

  // 3. the partials: the effective uses and, transitively, the uses of each partial
  const uses: UsesMap = {};
  if (isObject(merged.uses)) for (const [n, r] of Object.entries(merged.uses)) if (typeof r === 'string') uses[n] = r;
  const partials = new Map<string, VersionDoc>();
  const loaded = new Map<string, LoadOutcome>();
  /** the deepest include depth each partial was explored at */
  const depthSeen = new Map<string, number>();
  const visit = (owner: VersionDoc, ownerUses: unknown, stack: string[]): void => {
    if (!isObject(ownerUses)) return;
    for (const [name, text] of Object.entries(ownerUses)) {
      const here = at(owner, `/uses/${escapePointer(name)}`);
      const ref = parseVersionRef(text);
      if ('problem' in ref) {
        problems.push({ rule: 'uses-invalid', message: `uses.${name} ${ref.problem}`, at: here });
        continue;
      }
      const key = keyOf(ref.id, ref.version);
      if (stack.includes(key)) {
        problems.push({ rule: 'partial-cycle', message: `uses.${name} is ${key}, which includes back: ${[...stack, key].join(' -> ')}; partials cannot include each other in a cycle`, at: here });
        continue;
      }
      const depth = stack.length - (kind === 'partial' ? 1 : 0) + 1;
      if (depth > MAX_PARTIAL_DEPTH) {
        problems.push({ rule: 'partial-depth', message: `uses.${name} (${key}) nests partials deeper than ${MAX_PARTIAL_DEPTH} levels: ${[...stack, key].join(' -> ')}`, at: here });
        continue;
      }
      let got = loaded.get(key);
      if (!got) {
        got = load(ref.id, ref.version);
        loaded.set(key, got);
      }
      if (!('value' in got)) {
        problems.push({ rule: 'invalid' in got ? 'uses-broken' : 'uses-unknown', message: missingMessage(`uses.${name} is`, ref.id, ref.version, got), at: here });
        continue;
      }
      if (!isPartialValue(got.value)) {
        problems.push({ rule: 'uses-not-partial', message: `uses.${name} is ${key}, which is a prompt, not a partial (kind: partial); include partials only (to inherit a prompt, use extends:)`, at: here });
        continue;
      }
      partials.set(key, got);
      // explored at this depth or deeper already: nothing new below it
      if ((depthSeen.get(key) ?? 0) >= depth) continue;
      depthSeen.set(key, depth);
      visit(got, got.value.uses, [...stack, key]);
    }
  };
  visit(origin('uses') ?? root, merged.uses, kind === 'partial' ? [rootKey] : []);

  // a partial explored again at a greater depth reports its own entries' problems once
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const k = `${p.rule}\0${p.at.id}@${p.at.version}\0${p.at.pointer}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  // 4. deps: every other file of the closure
  const depList: [string, string][] = [];
  for (const d of chain.slice(1)) depList.push([keyOf(d.id, d.version), d.sha256]);
  for (const [k, d] of partials) depList.push([k, d.sha256]);
  depList.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const deps: DepsMap = {};
  for (const [k, s] of depList) deps[k] = s;

  return { root, kind, chain, merged, origin, uses, partials, deps, problems: unique };
}

/** A resolved prompt: what render, eval, build and the SDK use. */
export interface ResolvedPrompt {
  id: string;
  version: string;
  /** sha256 of the root version file (the pin's sha256) */
  sha256: string;
  /** the merged prompt (extends applied), without uses */
  prompt: PromptFile;
  /** what its templates may include */
  library: TemplateLibrary;
  deps: DepsMap;
  /** the versions it extends, nearest first (`<id>@<version>`) */
  extends: string[];
}

function stringMap(v: unknown): UsesMap {
  const out: UsesMap = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** The partial specs of a resolution's closure. */
export function librarySpecs(partials: ReadonlyMap<string, VersionDoc>): Record<string, PartialSpec> {
  const out: Record<string, PartialSpec> = {};
  for (const [k, d] of [...partials].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const spec: PartialSpec = { template: typeof d.value.template === 'string' ? d.value.template : '', uses: stringMap(d.value.uses) };
    if (isObject(d.value.inputs)) spec.inputs = d.value.inputs;
    out[k] = spec;
  }
  return out;
}

/** The resolved prompt of a resolution without problems (of a prompt, not a partial). */
export function resolvedPrompt(res: Resolution): ResolvedPrompt {
  const prompt = { ...res.merged } as Record<string, unknown>;
  delete prompt.uses;
  return {
    id: res.root.id,
    version: res.root.version,
    sha256: res.root.sha256,
    prompt: prompt as unknown as PromptFile,
    library: { uses: res.uses, partials: librarySpecs(res.partials) },
    deps: res.deps,
    extends: res.chain.slice(1).map((d) => keyOf(d.id, d.version)),
  };
}

/**
 * What the resolved prompt renders and sends, as one value: model, inputs, output, messages,
 * fallback and the partials its templates include (by key: text and scope). Metadata (id,
 * version, description, dates) is left out, so two versions that render alike have one content.
 * Its digest is the `resolved_sha256` of eval reports and the resolved part of cache keys.
 */
export function resolvedContent(r: Pick<ResolvedPrompt, 'prompt' | 'library'>): Record<string, unknown> {
  const p = r.prompt;
  const messages: Message[] = p.messages ?? [{ role: 'user', content: p.template ?? '' }];
  return {
    model: p.model ?? null,
    inputs: p.inputs ?? null,
    output: p.output ?? null,
    messages,
    fallback: p.fallback ?? null,
    uses: r.library.uses,
    partials: r.library.partials,
  };
}

/** Does a resolution involve other files (partials or extends)? */
export function hasDeps(r: { deps: DepsMap }): boolean {
  return Object.keys(r.deps).length > 0;
}

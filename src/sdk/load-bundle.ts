/**
 * loadBundle: a `prompts build` bundle → PromptSet, with no git and no registry on disk.
 * Every entry's sha256 (of its source) and digest (of its runtime fields) are checked at load;
 * each entry's source is re-parsed and compared with its runtime fields before first use.
 */
import { readFile, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { applyOverrides, messagesOf } from '../core/render.js';
import type { ModelConfig } from '../core/types.js';
import { keyOf, resolveDocument, resolvedPrompt, type DocLoader } from '../core/resolve.js';
import { parseYaml } from '../registry/yaml.js';
import { canonicalJson, isObject } from '../core/json.js';
import { contentSha256 } from '../registry/files.js';
import { BUNDLE_FORMAT, BUNDLE_VERSION, digestMatches, entryFields, rolloutDigest, runtimeConfigDigest, type ArmFields, type BundleEntry, type BundleProvider, type BundleRollout, type EntryFields } from './bundle-format.js';
import { BundleFormatError, IntegrityError } from './errors.js';
import { makePromptSet, type RunContext } from './prompt-set.js';
import { defaultBudgetStore } from './budget.js';
import type { LoadBundleOptions, PromptSet, Variant } from './types.js';

const HEX64 = /^[0-9a-f]{64}$/;

/** `http://…` / `https://…` strings and URLs are fetched; other strings are paths, `file:` URLs files. */
export function isHttpSource(input: string | URL): boolean {
  const t = typeof input === 'string' ? input : input.href;
  return /^https?:\/\//i.test(t);
}

/**
 * Reads a bundle file (path or file: URL), fetches an http(s) URL, or takes an already-parsed
 * bundle object. With `refresh`, the source is re-read every interval and a new bundle is
 * swapped in once verified (see ./refresh.ts).
 */
export async function loadBundle(input: string | URL | object, opts: LoadBundleOptions = {}): Promise<PromptSet> {
  if (typeof input === 'string' || input instanceof URL) {
    if (opts.refresh || isHttpSource(input)) {
      const { openRefreshing } = await import('./refresh.js');
      return openRefreshing(input, opts);
    }
    const file = typeof input === 'string' ? input : fileURLToPath(input);
    return openBundle(parseBundleText(await readBundleFile(file), file), opts, file);
  }
  return openBundle(input, opts);
}

/** A bundle larger than this is refused before it is read (from a file or over HTTP). */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

export async function readBundleFile(file: string): Promise<string> {
  try {
    // bounded: a huge file, a fifo or a device is refused before any read
    const st = await stat(file);
    if (!st.isFile()) throw new BundleFormatError('bundle is not a regular file', { file });
    if (st.size > MAX_BUNDLE_BYTES) throw new BundleFormatError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, { file, hint: 'a bundle holds the pinned prompts of one environment; build it again with "prompts build --env <env> -o <file>"' });
    const text = await readFile(file, 'utf8');
    if (Buffer.byteLength(text) > MAX_BUNDLE_BYTES) throw new BundleFormatError(`bundle is larger than ${MAX_BUNDLE_BYTES} bytes`, { file });
    return text;
  } catch (e) {
    if (e instanceof BundleFormatError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new BundleFormatError(code === 'ENOENT' ? 'bundle file does not exist' : `cannot read the bundle (${code ?? String(e)})`, {
      file,
      hint: 'build one with "prompts build --env <env> -o <file>"',
    });
  }
}

export function parseBundleText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BundleFormatError(`bundle is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { file });
  }
}

/** The synchronous core of loadBundle, for an already-parsed bundle value. */
export function openBundle(value: unknown, opts: LoadBundleOptions = {}, file?: string, close?: () => void): PromptSet {
  return makeBundleSet(checkBundle(value, opts, file), opts, close);
}

/** A bundle whose every entry passed the load-time checks. */
export interface CheckedBundle {
  env: string;
  commit: string | null;
  overrides: { model?: Partial<ModelConfig> };
  entries: Map<string, EntryFields>;
  sources: Map<string, string>;
  /** the sources of running rollouts' candidates, by id */
  candidateSources: Map<string, string>;
  /** the texts of what an arm is resolved from (partials, parents), by `<id>` (stable) or `<id> candidate`, then `<id>@<version>` */
  depSources: Map<string, Record<string, string>>;
  providers: Record<string, BundleProvider>;
  budget: BundleBudget;
  file: string | undefined;
  /** true when every source was re-parsed and compared already */
  full: boolean;
}
type BundleBudget = RunContext['budget'];

export function makeBundleSet(b: CheckedBundle, opts: LoadBundleOptions, close?: () => void): PromptSet {
  const verifySource = (id: string, variant: Variant): void => {
    const entry = b.entries.get(id);
    if (!entry) return;
    if (variant === 'stable') {
      const source = b.sources.get(id);
      if (source !== undefined) checkAgainstSource(entry, source, b.depSources.get(id) ?? {}, b.overrides, b.file);
    } else if (entry.rollout) {
      const source = b.candidateSources.get(id);
      if (source !== undefined) checkAgainstSource(entry.rollout.candidate, source, b.depSources.get(`${id} candidate`) ?? {}, b.overrides, b.file, ' (its rollout candidate)');
    }
  };
  const where = `the ${b.env} bundle`;
  const ctx: RunContext = { env: b.env, providers: b.providers, budget: b.budget, budgetStore: opts.budgetStore ?? defaultBudgetStore(), processEnv: opts.processEnv ?? process.env, where };
  return makePromptSet({ env: b.env, origin: 'bundle', commit: b.commit, where }, b.entries, b.full ? undefined : verifySource, ctx, close);
}

/** Every load-time check of a parsed bundle; `opts.verify: 'full'` also re-derives each entry from its source. */
export function checkBundle(value: unknown, opts: Pick<LoadBundleOptions, 'verify'> = {}, file?: string): CheckedBundle {
  if (!isObject(value) || value.format !== BUNDLE_FORMAT) {
    throw new BundleFormatError(`not a promptrail bundle (expected "format": "${BUNDLE_FORMAT}")`, { file });
  }
  if (value.bundle_version !== BUNDLE_VERSION) {
    const v = value.bundle_version;
    throw new BundleFormatError(`unsupported bundle_version ${JSON.stringify(v)}; this promptrail reads version ${BUNDLE_VERSION}`, {
      file,
      hint: typeof v === 'number' && v > BUNDLE_VERSION ? 'upgrade promptrail' : 'rebuild the bundle with "prompts build"',
    });
  }
  const env = value.environment;
  if (typeof env !== 'string' || !isObject(value.prompts) || !isObject(value.git) || !isObject(value.overrides)) {
    throw new BundleFormatError('malformed bundle: "environment", "git", "overrides" and "prompts" are required', { file });
  }
  const commit = typeof value.git.commit === 'string' ? value.git.commit : null;
  const overrides = value.overrides as { model?: Partial<ModelConfig> };
  const entries = new Map<string, EntryFields>();
  const sources = new Map<string, string>();
  const candidateSources = new Map<string, string>();
  const depSources = new Map<string, Record<string, string>>();
  for (const [key, raw] of Object.entries(value.prompts)) {
    const e = checkEntryShape(key, raw, file);
    const fields: EntryFields = checkedArm(key, e, file, '');
    const r = (raw as Record<string, unknown>).rollout;
    if (r !== undefined) {
      const ro = checkRolloutShape(key, r, e.version, file);
      fields.rollout = { weight: ro.weight, salt: ro.salt, candidate: checkedArm(key, ro.candidate, file, ' (its rollout candidate)') };
      candidateSources.set(key, ro.candidate.source);
      if (ro.candidate.dep_sources) depSources.set(`${key} candidate`, ro.candidate.dep_sources);
    }
    entries.set(key, fields);
    sources.set(key, e.source);
    if (e.dep_sources) depSources.set(key, e.dep_sources);
  }
  const { providers, budget } = checkRuntimeConfig(value, file);
  const full = opts.verify === 'full';
  if (full) {
    for (const [id, entry] of entries) {
      checkAgainstSource(entry, sources.get(id)!, depSources.get(id) ?? {}, overrides, file);
      if (entry.rollout) checkAgainstSource(entry.rollout.candidate, candidateSources.get(id)!, depSources.get(`${id} candidate`) ?? {}, overrides, file, ' (its rollout candidate)');
    }
  }
  return { env, commit, overrides, entries, sources, candidateSources, depSources, providers, budget, file, full };
}

/** One arm's load-time checks: sha256 of its source, every dep source against deps, its digest; its runtime fields. */
function checkedArm(key: string, e: Omit<BundleEntry, 'rollout'>, file: string | undefined, what: string): ArmFields {
  const altered = (why: string): IntegrityError => new IntegrityError(`prompt "${key}" in the bundle was altered${what}: ${why}`, { id: key, file, hint: 'rebuild the bundle with "prompts build"; never edit a bundle by hand' });
  if (contentSha256(e.source) !== e.sha256) throw altered('its source does not match its sha256');
  // every file it is resolved from is in the bundle, with the bytes its deps record
  for (const [dep, digest] of Object.entries(e.deps ?? {})) {
    const text = e.dep_sources && Object.hasOwn(e.dep_sources, dep) ? e.dep_sources[dep] : undefined;
    if (typeof text !== 'string' || contentSha256(text) !== digest) {
      throw altered(typeof text === 'string' ? `the source of ${dep} does not match its sha256 in deps` : `the source of ${dep}, which it is resolved from, is missing`);
    }
  }
  if (e.dep_sources && Object.keys(e.dep_sources).some((k) => !Object.hasOwn(e.deps ?? {}, k))) throw altered('it carries sources its deps do not record');
  if (!digestMatches(e, e.digest)) throw altered('its version, model, inputs, output or messages do not match its digest');
  return entryFields(e);
}

/** A rollout's shape, its weight and salt against its digest, and its candidate's entry shape. */
function checkRolloutShape(key: string, raw: unknown, stableVersion: string, file: string | undefined): BundleRollout {
  const bad = (what: string): IntegrityError => new IntegrityError(`prompt "${key}" in the bundle has a malformed rollout: ${what}`, { id: key, file, hint: 'rebuild the bundle with "prompts build"' });
  if (!isObject(raw)) throw bad('expected an object');
  if (typeof raw.weight !== 'number' || !(raw.weight >= 0 && raw.weight <= 100)) throw bad('"weight" must be a number from 0 to 100');
  if (typeof raw.salt !== 'string' || raw.salt === '') throw bad('"salt" must be a non-empty string');
  if (typeof raw.digest !== 'string' || !HEX64.test(raw.digest)) throw bad('"digest" must be 64 hex digits');
  const candidate = checkEntryShape(key, raw.candidate, file);
  if (candidate.version === stableVersion) throw bad(`the candidate is the stable version ${stableVersion}`);
  if (rolloutDigest(raw.weight, raw.salt, candidate.digest) !== raw.digest) {
    throw new IntegrityError(`prompt "${key}" in the bundle was altered: its rollout's weight, salt or candidate do not match the rollout's digest`, { id: key, file, hint: 'rebuild the bundle with "prompts build"; never edit a bundle by hand' });
  }
  return raw as unknown as BundleRollout;
}


/** The bundle's providers and budget, checked against config_digest (bundles of older builds have neither). */
function checkRuntimeConfig(value: Record<string, unknown>, file: string | undefined): { providers: Record<string, BundleProvider>; budget: BundleBudget } {
  if (value.providers === undefined && value.config_digest === undefined) return { providers: {}, budget: (value.budget as BundleBudget) ?? null };
  const bad = (what: string): IntegrityError => new IntegrityError(`the bundle's runtime config ${what}`, { file, hint: 'rebuild the bundle with "prompts build"; never edit a bundle by hand' });
  if (!isObject(value.providers)) throw bad('is malformed: "providers" must be an object');
  for (const [name, p] of Object.entries(value.providers)) {
    if (!isObject(p) || (p.type !== 'openai' && p.type !== 'anthropic' && p.type !== 'echo')) throw bad(`is malformed: provider "${name}" needs a type (openai, anthropic or echo)`);
  }
  const budget = value.budget === undefined ? null : value.budget;
  if (budget !== null && !isObject(budget)) throw bad('is malformed: "budget" must be an object or null');
  const providers = value.providers as Record<string, BundleProvider>;
  if (typeof value.config_digest !== 'string' || runtimeConfigDigest(providers, budget as BundleBudget) !== value.config_digest) {
    throw bad('was altered: its providers or budget do not match config_digest');
  }
  return { providers, budget: budget as BundleBudget };
}

function checkEntryShape(key: string, raw: unknown, file: string | undefined): BundleEntry {
  const bad = (what: string): IntegrityError =>
    new IntegrityError(`prompt "${key}" in the bundle is malformed: ${what}`, { id: key, file, hint: 'rebuild the bundle with "prompts build"' });
  if (!isObject(raw)) throw bad('expected an object');
  if (raw.id !== key) throw bad(`its "id" is ${JSON.stringify(raw.id)}, but it is listed under "${key}"`);
  if (typeof raw.version !== 'string' || raw.version === '') throw bad('"version" must be a string');
  if (typeof raw.sha256 !== 'string' || !HEX64.test(raw.sha256)) throw bad('"sha256" must be 64 hex digits');
  if (typeof raw.digest !== 'string' || !HEX64.test(raw.digest)) throw bad('"digest" must be 64 hex digits');
  if (typeof raw.source !== 'string') throw bad('"source" must be a string');
  const m = raw.model;
  if (!isObject(m) || typeof m.provider !== 'string' || typeof m.name !== 'string') throw bad('"model" must have "provider" and "name"');
  if (raw.inputs !== null && !isObject(raw.inputs)) throw bad('"inputs" must be an object or null');
  if (raw.output !== null && (!isObject(raw.output) || (raw.output.format !== 'text' && raw.output.format !== 'json'))) throw bad('"output" must be null or have "format" text or json');
  if (!Array.isArray(raw.messages)) throw bad('"messages" must be a list');
  if (raw.fallback !== undefined && !isObject(raw.fallback)) throw bad('"fallback" must be an object');
  const strings = (v: unknown): boolean => isObject(v) && Object.values(v).every((x) => typeof x === 'string');
  if (raw.uses !== undefined && !strings(raw.uses)) throw bad('"uses" must map names to <id>@<version>');
  if (raw.deps !== undefined && !(strings(raw.deps) && Object.values(raw.deps as object).every((x) => HEX64.test(x as string)))) throw bad('"deps" must map <id>@<version> to sha256 digests');
  if (raw.dep_sources !== undefined && !strings(raw.dep_sources)) throw bad('"dep_sources" must map <id>@<version> to file texts');
  if (raw.partials !== undefined) {
    if (!isObject(raw.partials)) throw bad('"partials" must be an object');
    for (const p of Object.values(raw.partials)) if (!isObject(p) || typeof p.template !== 'string' || !strings(p.uses)) throw bad('every partial needs a "template" string and "uses"');
  }
  for (const msg of raw.messages as unknown[]) {
    if (!isObject(msg) || typeof msg.content !== 'string' || (msg.role !== 'system' && msg.role !== 'user' && msg.role !== 'assistant')) {
      throw bad('every message needs a "role" (system, user or assistant) and a "content" string');
    }
  }
  return raw as unknown as BundleEntry;
}

/** the same options registry/yaml.ts parses version files with (YAML 1.2 core, unique keys, bounded aliases) */
function parseSource(source: string): Record<string, unknown> | undefined {
  try {
    // the one reading every registry file gets (registry/yaml.ts: YAML 1.2 core, and what readers disagree on refused)
    const parsed = parseYaml(source);
    const v: unknown = parsed.issues.length ? undefined : parsed.value;
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Re-derives an entry's runtime fields from its source — resolved, with the bundle's sources of
 * its partials and parents, by the same resolution the registry uses (never from disk) — and
 * refuses any difference.
 */
function checkAgainstSource(entry: ArmFields, source: string, depSources: Readonly<Record<string, string>>, overrides: { model?: Partial<ModelConfig> }, file: string | undefined, arm = ''): void {
  const fail = (what: string): never => {
    throw new IntegrityError(`prompt "${entry.id}" in the bundle was altered${arm}: ${what}`, {
      id: entry.id,
      file,
      hint: 'rebuild the bundle with "prompts build"; never edit a bundle by hand',
    });
  };
  const value = parseSource(source);
  if (!value) return fail('its source is not a valid prompt file');
  const load: DocLoader = (id, version) => {
    const key = keyOf(id, version);
    const text = Object.hasOwn(depSources, key) ? depSources[key] : undefined;
    const v = text === undefined ? undefined : parseSource(text);
    if (text === undefined) return { missing: 'version', versions: [] };
    return v ? { id, version, sha256: contentSha256(text), value: v } : { invalid: 'its source in the bundle is not a valid version file' };
  };
  const res = resolveDocument({ id: entry.id, version: entry.version, sha256: entry.sha256, value }, load);
  if (res.problems.length) return fail(`its source does not resolve from the bundle: ${res.problems[0]!.message}`);
  const r = resolvedPrompt(res);
  const p = r.prompt;
  if (!isObject(p.model)) return fail('its source has no model');
  const deps = Object.keys(r.deps).length ? r.deps : undefined;
  const expected: Record<string, unknown> = {
    id: value.id,
    version: value.version,
    model: applyOverrides(p.model, { overrides }),
    inputs: p.inputs ?? null,
    output: p.output ?? null,
    messages: messagesOf(p),
    fallback: p.fallback,
    uses: deps ? r.library.uses : undefined,
    partials: deps ? r.library.partials : undefined,
    deps,
  };
  const actual = entry as unknown as Record<string, unknown>;
  for (const k of Object.keys(expected)) {
    if (canonicalJson(expected[k]) !== canonicalJson(actual[k])) fail(`its "${k}" differs from its source`);
  }
}

/**
 * The per-file checks of `prompts validate`: everything that can be decided from one file's
 * bytes, its registry-relative path and the config (providers, environment names). Results
 * are pure functions of those inputs, which is what makes them cacheable by content hash.
 * Cross-file checks (pins, duplicates, stray files, immutability) live in engine.ts.
 */
import { createRequire } from 'node:module';
import { decodeRegistryBytes, MAX_ENV_FILE_BYTES, MAX_FILE_BYTES } from '../registry/files.js';
import { idProblem } from '../core/ref.js';
import { didYouMean } from '../core/suggest.js';
import { parseTemplate, templateVariables, type TemplateProblem, type TemplateVariable } from '../core/template.js';
import { scanTemplate } from './template-scan.js';
import { fastDoc, NeedPositions, type Doc, type Pos } from './doc.js';
import { schemaFindings } from '../registry/schema-findings.js';
import { fastParse } from './fast-yaml.js';
import { jsonSchemaProblem } from './json-schema.js';
import type { FileProblemEntry, Severity } from './problem.js';
import { isObject } from '../core/json.js';

export type FileKind = 'config' | 'prompt' | 'suite' | 'environment';

export interface CheckContext {
  /** provider names declared in the config (null: the config is unusable, skip these checks) */
  providers: string[] | null;
  /** environment names declared in the config (null: unknown) */
  environments: string[] | null;
  /** registry-relative prompts folder ("prompts") */
  promptsDir: string;
}

export interface PinFact {
  id: string;
  version: string;
  sha256: string;
  previous: string | null;
}

/** what a version file declares as inputs (for checking its suite's case vars) */
export interface InputFacts {
  props: string[];
  required: string[];
  /** additional inputs are rejected (additionalProperties: false, or no inputs at all) */
  closed: boolean;
}

/** a suite case as far as its vars go */
export interface CaseFact {
  index: number;
  name: string;
  versions?: string;
  /** var names, defaults.vars included */
  vars: string[];
}

export interface FileOutcome {
  problems: FileProblemEntry[];
  /** environment files: the pins, for the cross-file sha256 check */
  pins?: PinFact[];
  /** version files: declared inputs */
  inputs?: InputFacts;
  /** suites: cases and their vars */
  cases?: CaseFact[];
}

function inputFacts(v: Obj): InputFacts {
  const inputs = own(v, 'inputs');
  if (!isObject(inputs)) return { props: [], required: [], closed: true };
  const props = isObject(own(inputs, 'properties')) ? Object.keys(inputs.properties as Obj) : [];
  const req = own(inputs, 'required');
  return { props, required: Array.isArray(req) ? req.filter((x): x is string => typeof x === 'string') : [], closed: own(inputs, 'additionalProperties') === false };
}

function caseFacts(v: Obj): CaseFact[] {
  const d = own(v, 'defaults');
  const dv = isObject(d) && isObject(own(d, 'vars')) ? Object.keys(d.vars as Obj) : [];
  const cases = own(v, 'cases');
  if (!Array.isArray(cases)) return [];
  const out: CaseFact[] = [];
  cases.forEach((c, index) => {
    if (!isObject(c)) return;
    const vars = isObject(own(c, 'vars')) ? Object.keys(c.vars as Obj) : [];
    const range = own(c, 'versions');
    out.push({ index, name: typeof own(c, 'name') === 'string' ? (c.name as string) : `#${index + 1}`, ...(typeof range === 'string' ? { versions: range } : {}), vars: [...new Set([...dv, ...vars])] });
  });
  return out;
}

type Obj = Record<string, unknown>;

const requireCjs = createRequire(import.meta.url);
/** semver's range parser, loaded on first use (most runs never need it) */
function validRange(range: string): string | null {
  // the usual forms (">=1.2.0", "^1.0.0 <2.0.0-rc.1", "1.x || >=2.1") are valid by construction
  if (range.split('||').every((part) => SIMPLE_RANGE.test(part))) return range;
  const fn = requireCjs('semver/ranges/valid.js') as (r: string) => string | null;
  return fn(range);
}
const NUM = '(?:0|[1-9]\\d*)';
const PART = `(?:${NUM}|[xX*])`;
const PRE = '(?:-[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?';
const COMPARATOR = `(?:>=|<=|>|<|=|\\^|~)?${PART}(?:\\.${PART}(?:\\.${PART}${PRE})?)?`;
const SIMPLE_RANGE = new RegExp(`^\\s*${COMPARATOR}(?:\\s+${COMPARATOR})*\\s*$`);

/**
 * The careful path (the `yaml` package, positions) is loaded on demand: a run whose files are
 * all clean, or answered by the cache, never pays for it. checkFile throws NeedSlowPath when
 * it needs it before loadSlowPath() has run; checkFileAsync does that dance.
 */
export class NeedSlowPath extends Error {}
type Slow = { parseYaml: typeof import('../registry/yaml.js').parseYaml; fullDoc: typeof import('./full-doc.js').fullDoc };
let slow: Slow | undefined;
export async function loadSlowPath(): Promise<void> {
  if (!slow) {
    const [y, f] = await Promise.all([import('../registry/yaml.js'), import('./full-doc.js')]);
    slow = { parseYaml: y.parseYaml, fullDoc: f.fullDoc };
  }
}

function own(o: Obj, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** Escapes a key for a JSON pointer segment. */
export function ptr(...segs: (string | number)[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

class Reporter {
  readonly problems: FileProblemEntry[] = [];
  constructor(readonly doc: Doc) {}
  add(severity: Severity, rule: string, message: string, at: Pos): void {
    this.problems.push({ line: at.line, column: at.column, rule, message, severity });
  }
  error(rule: string, message: string, pointer: string, key?: string): void {
    this.add('error', rule, message, this.doc.pos(pointer, key));
  }
  warning(rule: string, message: string, pointer: string, key?: string): void {
    this.add('warning', rule, message, this.doc.pos(pointer, key));
  }
}

function schemaStep(r: Reporter, kind: 'prompt' | 'suite' | 'environment' | 'config'): void {
  for (const f of schemaFindings(kind, r.doc.value)) r.error(f.rule, f.message, f.pointer, f.key);
}

/** prompts/<id...>/<version>.yaml → the id and version its path implies */
export function versionPathParts(rel: string, promptsDir: string): { id: string; version: string } {
  const inner = rel.slice(promptsDir.length + 1);
  const slash = inner.lastIndexOf('/');
  const id = slash === -1 ? '' : inner.slice(0, slash);
  const version = inner.slice(slash + 1).replace(/\.yaml$/, '');
  return { id, version };
}

function checkProviderName(r: Reporter, name: unknown, pointer: string, ctx: CheckContext): void {
  if (typeof name !== 'string' || name === '' || ctx.providers === null) return;
  if (ctx.providers.includes(name)) return;
  const s = didYouMean(name, ctx.providers);
  const known = ctx.providers.length ? `providers in prompts.config.yaml: ${ctx.providers.join(', ')}` : 'prompts.config.yaml declares no providers';
  r.error('provider-unknown', `unknown provider "${name}"${s ? `; did you mean "${s}"?` : ''} (${known})`, pointer);
}

function checkPrompt(r: Reporter, rel: string, ctx: CheckContext): void {
  const v = r.doc.value;
  schemaStep(r, 'prompt');
  const { id, version } = versionPathParts(rel, ctx.promptsDir);
  const idP = idProblem(id);
  if (idP) {
    r.error('id-invalid', `the folder "${id}" is not a valid prompt id: ${idP}; rename the folder`, Object.hasOwn(v, 'id') ? '/id' : '');
  } else if (typeof own(v, 'id') === 'string' && own(v, 'id') !== id) {
    r.error('id-mismatch', `id "${String(v.id)}" does not match the folder: expected "${id}" (the id is the folder under ${ctx.promptsDir}/)`, '/id');
  }
  if (typeof own(v, 'version') === 'string' && own(v, 'version') !== version) {
    r.error('version-mismatch', `version "${String(v.version)}" does not match the file name: expected "${version}" (a version file is named <version>.yaml)`, '/version');
  }
  const model = own(v, 'model');
  if (isObject(model)) checkProviderName(r, own(model, 'provider'), '/model/provider', ctx);
  const fallback = own(v, 'fallback');
  if (isObject(fallback)) checkProviderName(r, own(fallback, 'provider'), '/fallback/provider', ctx);

  const inputs = own(v, 'inputs');
  let inputsUsable = false;
  if (isObject(inputs)) {
    if (own(inputs, 'type') !== 'object') {
      r.error('inputs-not-object', `"inputs" must be a JSON Schema of an object: add "type: object" with "properties" naming each template variable`, '/inputs');
    }
    const p = jsonSchemaProblem(inputs);
    if (p) r.error('inputs-invalid-schema', `"inputs" is not a valid JSON Schema: ${p}`, '/inputs');
    else inputsUsable = true;
  }
  const output = own(v, 'output');
  if (isObject(output) && own(output, 'schema') !== undefined && isObject(own(output, 'schema'))) {
    const p = jsonSchemaProblem(own(output, 'schema'));
    if (p) r.error('output-schema-invalid', `"output.schema" is not a valid JSON Schema: ${p}`, '/output/schema');
  }

  // (exactly one of template / messages: a schema finding, see registry/schema-findings.ts)

  // templates: parse, collect variables
  // the pointer is built only when a problem is reported (this loop runs for every file)
  const templates: { pointer: () => string; text: string }[] = [];
  if (typeof own(v, 'template') === 'string') templates.push({ pointer: () => '/template', text: v.template as string });
  const messages = own(v, 'messages');
  if (Array.isArray(messages)) {
    messages.forEach((m, i) => {
      if (isObject(m) && typeof own(m, 'content') === 'string') templates.push({ pointer: () => `/messages/${i}/content`, text: m.content as string });
    });
  }
  const declaredProps = isObject(inputs) && isObject(own(inputs, 'properties')) ? Object.keys(inputs.properties as Obj) : [];
  const declared = new Set(declaredProps);
  const used = new Set<string>();
  let allParsed = true;
  for (const t of templates) {
    const parsed = analyzeTemplate(t.text);
    if ('problem' in parsed) {
      allParsed = false;
      const p = parsed.problem;
      r.add('error', p.rule, p.message, r.doc.posInScalar(t.pointer(), p.line, p.column));
      continue;
    }
    for (const tv of parsed.vars) {
      used.add(tv.name);
      if (declared.has(tv.name)) continue;
      const s = didYouMean(tv.name, declaredProps);
      const msg = isObject(inputs)
        ? `the template uses "${tv.name}", which is not declared in inputs.properties${s ? `; did you mean "${s}"?` : `; declare it (e.g. ${tv.name}: { type: string })`}`
        : `the template uses "${tv.name}" but the prompt declares no inputs; add "inputs: { type: object, properties: { ${tv.name}: { type: string } } }"`;
      r.add('error', 'input-undeclared', msg, r.doc.posInScalar(t.pointer(), tv.line, tv.column));
    }
  }
  if (allParsed && templates.length > 0 && inputsUsable && isObject(inputs) && Array.isArray(own(inputs, 'required'))) {
    (inputs.required as unknown[]).forEach((name, i) => {
      if (typeof name === 'string' && !used.has(name)) {
        r.warning('input-unused', `required input "${name}" is never used by the template; use it or make it optional`, ptr('inputs', 'required', i));
      }
    });
  }
}

/** parse + variables of a template, memoized by text: versions of a prompt share most messages */
const templateMemo = new Map<string, { problem: TemplateProblem } | { vars: TemplateVariable[] }>();
function analyzeTemplate(text: string): { problem: TemplateProblem } | { vars: TemplateVariable[] } {
  let hit = templateMemo.get(text);
  if (!hit) {
    // most templates are text with {{name}} and if/unless blocks: scanned without Handlebars
    const scanned = scanTemplate(text);
    const parsed = scanned ? null : parseTemplate(text);
    hit = scanned ? { vars: scanned } : 'problem' in parsed! ? { problem: parsed.problem } : { vars: templateVariables(parsed!.ast) };
    if (templateMemo.size > 50_000) templateMemo.clear();
    templateMemo.set(text, hit);
  }
  return hit;
}

function checkAssertions(r: Reporter, list: unknown, base: string, ctx: CheckContext): void {
  if (!Array.isArray(list)) return;
  list.forEach((a, i) => {
    if (!isObject(a)) return;
    const p = `${base}/${i}`;
    const type = own(a, 'type');
    if (type === 'regex') {
      const pattern = own(a, 'pattern') ?? own(a, 'value');
      const flags = own(a, 'flags');
      if (typeof pattern === 'string') {
        try {
          new RegExp(pattern, typeof flags === 'string' ? flags : undefined);
        } catch (e) {
          r.error('suite-regex-invalid', `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`, `${p}/${own(a, 'pattern') !== undefined ? 'pattern' : 'value'}`);
        }
      }
    }
    if (type === 'json-schema' && isObject(own(a, 'schema'))) {
      const sp = jsonSchemaProblem(own(a, 'schema'));
      if (sp) r.error('suite-schema-invalid', `the assertion's schema is not a valid JSON Schema: ${sp}`, `${p}/schema`);
    }
    if (type === 'json-path' && typeof own(a, 'path') === 'string' && !(a.path as string).startsWith('$')) {
      r.error('suite-json-path', `json-path "${String(a.path)}" must start with "$" (e.g. $.category)`, `${p}/path`);
    }
    if (type === 'llm-rubric') checkProviderName(r, own(a, 'provider'), `${p}/provider`, ctx);
  });
}

function checkSuite(r: Reporter, ctx: CheckContext): void {
  const v = r.doc.value;
  schemaStep(r, 'suite');
  const defaults = own(v, 'defaults');
  if (isObject(defaults)) checkAssertions(r, own(defaults, 'assert'), '/defaults/assert', ctx);
  const cases = own(v, 'cases');
  if (!Array.isArray(cases)) return;
  const names = new Map<string, number>();
  cases.forEach((c, i) => {
    if (!isObject(c)) return;
    const name = own(c, 'name');
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first !== undefined) r.error('suite-duplicate-case', `case name "${name}" is used twice (first by case ${first + 1}); case names must be unique`, ptr('cases', i, 'name'));
      else names.set(name, i);
    }
    const range = own(c, 'versions');
    if (typeof range === 'string' && validRange(range) === null) {
      r.error('suite-versions-range', `"${range}" is not a valid semver range (e.g. ">=1.2.0", "^1.0.0", "1.x")`, ptr('cases', i, 'versions'));
    }
    checkAssertions(r, own(c, 'assert'), ptr('cases', i, 'assert'), ctx);
  });
}

function checkEnvironment(r: Reporter, rel: string, ctx: CheckContext): PinFact[] {
  const v = r.doc.value;
  schemaStep(r, 'environment');
  const stem = rel.slice(rel.lastIndexOf('/') + 1).replace(/\.yaml$/, '');
  const env = own(v, 'environment');
  if (typeof env === 'string' && env !== stem) {
    r.error('env-name-mismatch', `environment "${env}" does not match the file name: expected "${stem}"`, '/environment');
  }
  if (ctx.environments !== null && !ctx.environments.includes(stem)) {
    const s = didYouMean(stem, ctx.environments);
    r.error(
      'env-undeclared',
      `environment "${stem}" is not declared in prompts.config.yaml${s ? `; did you mean "${s}"?` : ''} (environments: ${ctx.environments.join(', ') || 'none'}); declare it or remove this file`,
      Object.hasOwn(v, 'environment') ? '/environment' : '',
    );
  }
  const pins: PinFact[] = [];
  const prompts = own(v, 'prompts');
  if (isObject(prompts)) {
    for (const [id, pin] of Object.entries(prompts)) {
      // an invalid id is a schema problem already; never build a path from it
      if (!isObject(pin) || idProblem(id) !== null) continue;
      const version = own(pin, 'version');
      const sha = own(pin, 'sha256');
      const previous = own(pin, 'previous');
      if (typeof version === 'string' && typeof sha === 'string') {
        pins.push({ id, version, sha256: sha, previous: typeof previous === 'string' ? previous : null });
      }
    }
  }
  return pins;
}

function checkConfig(r: Reporter): void {
  const v = r.doc.value;
  schemaStep(r, 'config');
  const envs = isObject(own(v, 'environments')) ? (v.environments as Obj) : {};
  const envNames = Object.keys(envs);
  const providers = isObject(own(v, 'providers')) ? Object.keys(v.providers as Obj) : [];
  const pctx: CheckContext = { providers, environments: envNames, promptsDir: '' };
  for (const dirKey of ['prompts_dir', 'environments_dir']) {
    const d = own(v, dirKey);
    if (typeof d === 'string' && (d.startsWith('/') || d.includes('\\') || d.split('/').includes('..') || /^[A-Za-z]:/.test(d))) {
      r.error('config-dir-invalid', `"${dirKey}" must be a folder inside the registry (relative, no ".."), found "${d}"`, `/${dirKey}`);
    }
  }
  for (const name of envNames) {
    const e = envs[name];
    if (!isObject(e)) continue;
    const req = own(e, 'requires');
    if (typeof req === 'string') {
      if (!envNames.includes(req)) {
        const s = didYouMean(req, envNames);
        r.error('config-requires-unknown', `environment "${name}" requires unknown environment "${req}"${s ? `; did you mean "${s}"?` : ''}`, ptr('environments', name, 'requires'));
      } else if (req === name) {
        r.error('config-requires-cycle', `environment "${name}" requires itself; point "requires" at an earlier environment`, ptr('environments', name, 'requires'));
      } else {
        // follow the chain: a cycle would make every promotion impossible
        const seen = new Set([name]);
        let cur: string | undefined = req;
        while (cur !== undefined && !seen.has(cur)) {
          seen.add(cur);
          const next: unknown = isObject(envs[cur]) ? own(envs[cur] as Obj, 'requires') : undefined;
          cur = typeof next === 'string' && envNames.includes(next) ? next : undefined;
        }
        if (cur === name) r.error('config-requires-cycle', `the "requires" chain of environment "${name}" loops back to itself; break the cycle`, ptr('environments', name, 'requires'));
      }
    }
    const gate = own(e, 'gate');
    if (isObject(gate)) checkProviderName(r, own(gate, 'provider'), ptr('environments', name, 'gate', 'provider'), pctx);
    const overrides = own(e, 'overrides');
    if (isObject(overrides) && isObject(own(overrides, 'model'))) {
      checkProviderName(r, own(overrides.model as Obj, 'provider'), ptr('environments', name, 'overrides', 'model', 'provider'), pctx);
    }
  }
  const ev = own(v, 'eval');
  if (isObject(ev)) checkProviderName(r, own(ev, 'provider'), '/eval/provider', pctx);
}

function runChecks(kind: FileKind, doc: Doc, rel: string, ctx: CheckContext): FileOutcome {
  const r = new Reporter(doc);
  switch (kind) {
    case 'prompt':
      checkPrompt(r, rel, ctx);
      return { problems: r.problems, inputs: inputFacts(doc.value) };
    case 'suite':
      checkSuite(r, ctx);
      return { problems: r.problems, cases: caseFacts(doc.value) };
    case 'environment': {
      const pins = checkEnvironment(r, rel, ctx);
      return { problems: r.problems, pins };
    }
    case 'config':
      checkConfig(r);
      return { problems: r.problems };
  }
}

/**
 * Checks one registry file. Never throws for bad input: every problem becomes an entry.
 * Clean files take the fast path (js-yaml, no positions); any finding re-runs the checks on
 * the `yaml` document so each problem has its exact line:column.
 */
export function checkFile(kind: FileKind, rel: string, bytes: Uint8Array, ctx: CheckContext): FileOutcome {
  // environment files grow with pins × history (written by promote), so they may be larger
  const decoded = decodeRegistryBytes(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), kind === 'environment' ? MAX_ENV_FILE_BYTES : MAX_FILE_BYTES);
  if ('rule' in decoded) {
    return { problems: [{ line: decoded.line ?? 1, column: decoded.column ?? 1, rule: decoded.rule, message: decoded.message, severity: 'error' }] };
  }
  return checkText(kind, rel, decoded.text, ctx);
}

export function checkText(kind: FileKind, rel: string, text: string, ctx: CheckContext): FileOutcome {
  const fast = fastParse(text);
  if (fast) {
    try {
      const out = runChecks(kind, fastDoc(fast), rel, ctx);
      if (out.problems.length === 0) return out;
    } catch (e) {
      if (!(e instanceof NeedPositions)) throw e;
    }
  }
  if (!slow) throw new NeedSlowPath();
  const parsed = slow.parseYaml(text);
  if (parsed.issues.length) {
    return { problems: parsed.issues.map((i) => ({ line: i.line, column: i.column, rule: i.rule, message: i.message, severity: 'error' as const })) };
  }
  return runChecks(kind, slow.fullDoc(parsed, text), rel, ctx);
}

/** checkFile, loading the careful path first when the file needs it. */
export async function checkFileAsync(kind: FileKind, rel: string, bytes: Uint8Array, ctx: CheckContext): Promise<FileOutcome> {
  try {
    return checkFile(kind, rel, bytes, ctx);
  } catch (e) {
    if (!(e instanceof NeedSlowPath)) throw e;
    await loadSlowPath();
    return checkFile(kind, rel, bytes, ctx);
  }
}

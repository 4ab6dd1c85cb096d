/**
 * Phase 5a, resolution across files (SPEC §14): every reported version file that takes part in
 * resolution (a partial, a file with `uses:` or `extends:`) is resolved by core/resolve.ts over
 * the per-file facts (cached with each file's result, so a warm run reads nothing), and what
 * resolution alone can tell is reported where it is caused: unknown or non-partial `uses:`,
 * cycles, depth, `extends:` of a partial or of nothing, a chain that never sets the model.
 * Then the variables: what the closure's partials use (core/partials.ts includedVariables,
 * the same function render uses) against the including file's inputs (merged through
 * `extends`), inputs the partials require, and the checks the per-file phase left to this one
 * for files whose inputs, uses or text other files complete.
 *
 * It also answers, for the pins phase, the closure of a pinned version (which files its deps
 * must list), and for the suites phase, the merged inputs of a version that extends another.
 */
import { didYouMean } from '../core/suggest.js';
import { idProblem } from '../core/ref.js';
import { isObject } from '../core/json.js';
import { keyOf, parseVersionRef, resolveDocument, type LoadOutcome, type Resolution, type VersionDoc } from '../core/resolve.js';
import { includedRequirements, includedVariables, type PartialFacts } from '../core/partials.js';
import type { IncludeSite, TemplateVariable } from '../core/template.js';
import { contentSha256 } from '../registry/files.js';
import type { InputFacts, ResolveFacts, TemplateFact } from './checks/types.js';
import { versionRel } from './layout.js';
import type { ConfigStage } from './phase-config.js';
import type { Checked } from './phase-files.js';
import type { Selection } from './phase-select.js';
import { loadChecks } from './load-checks.js';
import type { Run } from './run.js';

/** What the later phases learn from this one. */
export interface Resolved {
  /** the keys (`<id>@<version>`) of a version's closure besides itself; null when it does not resolve (or is no version file) */
  closureOf(id: string, version: string): Promise<Record<string, true> | null>;
  /** merged inputs of versions that extend another (registry-relative path → facts) */
  inputsOf: Map<string, InputFacts>;
}

interface Finding {
  rel: string;
  /** where: a key (pointer) or a place inside a template scalar */
  pointer: string;
  key?: string;
  inScalar?: { line: number; column: number };
  rule: string;
  message: string;
  severity: 'error' | 'warning';
}

/** an outcome's problems that make its file unusable as a parent or partial */
const UNUSABLE = /^(file-|yaml-|schema-|template-or-messages$|conflict-marker$|id-|version-mismatch$)/;

export async function checkResolution(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked, report: Set<string>): Promise<Resolved> {
  const { promptsDir } = cfg;
  const pPrefix = `${promptsDir}/`;
  const relOf = (id: string, version: string): string => versionRel(promptsDir, id, version);
  const partsOf = (rel: string): { id: string; version: string } => {
    const inner = rel.slice(pPrefix.length);
    const slash = inner.lastIndexOf('/');
    return { id: inner.slice(0, slash), version: inner.slice(slash + 1, -5) };
  };
  /** facts and sha256 of version files read here (not checked this run, or plain prompts extended by another) */
  const extra = new Map<string, { facts: ResolveFacts | undefined; sha: string; unusable: string | null } | null>();
  const factsOf = (rel: string): ResolveFacts | undefined => extra.get(rel)?.facts ?? checked.outcomes.get(rel)?.res;

  /** reads what resolution will ask for and the phase does not have: files outside this run, and extended prompts */
  const fetch = async (refs: Iterable<string>): Promise<void> => {
    const want: string[] = [];
    for (const ref of refs) {
      const p = parseVersionRef(ref);
      if ('problem' in p) continue;
      const rel = relOf(p.id, p.version);
      if (extra.has(rel) || checked.outcomes.get(rel)?.res) continue;
      want.push(rel);
    }
    if (!want.length) return;
    const blobs = await run.src.read(want);
    const checks = await loadChecks();
    for (const rel of want) {
      const b = blobs.get(rel);
      if (!b || b.problem || !b.bytes) {
        extra.set(rel, null);
        continue;
      }
      const out = await checks.checkFileAsync('prompt', rel, b.bytes, { ...cfg.ctx, resolveFacts: true });
      const bad = out.problems.find((p) => p.severity === 'error' && UNUSABLE.test(p.rule));
      extra.set(rel, { facts: out.res, sha: contentSha256(b.bytes), unusable: bad ? `${bad.message} (${bad.line}:${bad.column})` : null });
    }
  };

  const exists = (rel: string): boolean => {
    const e = extra.get(rel);
    if (e !== undefined) return e !== null;
    return sel.versionExists(rel);
  };
  const docs = new Map<string, LoadOutcome>();
  const load = (id: string, version: string): LoadOutcome => {
    const key = keyOf(id, version);
    const memo = docs.get(key);
    if (memo) return memo;
    let out: LoadOutcome;
    const rel = idProblem(id) === null ? relOf(id, version) : null;
    if (rel === null) out = { missing: 'prompt' };
    else if (!exists(rel)) {
      const versions = sel.versionsOf(id);
      out = versions.length ? { missing: 'version', versions } : { missing: 'prompt', suggestion: didYouMean(id, sel.allIds) };
    } else {
      const e = extra.get(rel);
      const o = checked.outcomes.get(rel);
      const bad = e ? e.unusable : o?.problems.find((p) => p.severity === 'error' && UNUSABLE.test(p.rule));
      const facts = factsOf(rel);
      const sha = e?.sha ?? checked.shas.get(rel);
      if (bad) out = { invalid: typeof bad === 'string' ? bad : `${bad.message} (${bad.line}:${bad.column})` };
      else if (!facts || sha === undefined) out = { invalid: 'it could not be read' };
      else out = { id, version, sha256: sha, value: facts.skeleton };
    }
    docs.set(key, out);
    return out;
  };

  /** every ref the facts of `rels` (transitively) name, read in rounds until nothing is missing */
  const prefetch = async (rels: Iterable<string>): Promise<void> => {
    let frontier = [...rels];
    const seen = new Set<string>(frontier);
    while (frontier.length) {
      const refs: string[] = [];
      for (const rel of frontier) {
        const s = factsOf(rel)?.skeleton;
        if (!s) continue;
        if (typeof s.extends === 'string') refs.push(s.extends);
        if (isObject(s.uses)) for (const r of Object.values(s.uses)) if (typeof r === 'string') refs.push(r);
      }
      await fetch(refs);
      const next: string[] = [];
      for (const ref of refs) {
        const p = parseVersionRef(ref);
        if ('problem' in p) continue;
        const rel = relOf(p.id, p.version);
        if (!seen.has(rel)) {
          seen.add(rel);
          next.push(rel);
        }
      }
      frontier = next;
    }
  };

  const roots = [...report].filter((rel) => sel.layout.files.get(rel) === 'prompt' && checked.outcomes.get(rel)?.res);
  await prefetch(roots);

  const findings: Finding[] = [];
  const inputsOf = new Map<string, InputFacts>();
  const resolutions = new Map<string, Resolution>();
  const resolve = (rel: string): Resolution | null => {
    const have = resolutions.get(rel);
    if (have) return have;
    const { id, version } = partsOf(rel);
    const root = load(id, version);
    if (!('value' in root)) return null;
    const res = resolveDocument(root, load);
    resolutions.set(rel, res);
    return res;
  };

  for (const rel of roots) {
    const res = resolve(rel);
    if (!res) continue;
    for (const p of res.problems) findings.push({ rel: relOf(p.at.id, p.at.version), pointer: p.at.pointer, rule: p.rule, message: p.message, severity: 'error' });
    // what the partials found use is worth reporting even when one is missing; a broken chain merges nothing reliable
    if (!res.problems.some((p) => p.rule.startsWith('extends-'))) checkVariables(res, rel, factsOf, relOf, findings, inputsOf);
  }

  await reportFindings(run, sel, findings);
  return {
    inputsOf,
    async closureOf(id, version) {
      const rel = relOf(id, version);
      if (!factsOf(rel)) await fetch([keyOf(id, version)]);
      if (!exists(rel) || !factsOf(rel)) return null;
      await prefetch([rel]);
      const res = resolve(rel);
      if (!res || res.problems.length) return null;
      const out: Record<string, true> = {};
      for (const k of Object.keys(res.deps)) out[k] = true;
      return out;
    },
  };
}

const ownKey = <T>(o: Readonly<Record<string, T>>, k: string): T | undefined => (Object.hasOwn(o, k) ? o[k] : undefined);

/** The variable checks of one resolved version (see the module comment). */
function checkVariables(
  res: Resolution,
  rel: string,
  factsOf: (rel: string) => ResolveFacts | undefined,
  relOf: (id: string, version: string) => string,
  findings: Finding[],
  inputsOf: Map<string, InputFacts>,
): void {
  const root = res.root;
  const extending = res.chain.length > 1;
  const body = res.origin('template') ?? root;
  const templates = factsOf(relOf(body.id, body.version))?.templates;
  if (!templates) return; // a template does not parse: reported at its file
  const inputs = isObject(res.merged.inputs) ? res.merged.inputs : undefined;
  const props = inputs && isObject(inputs.properties) ? Object.keys(inputs.properties) : [];
  const declared = new Set(props);
  const required = inputs && Array.isArray(inputs.required) ? inputs.required.filter((x): x is string => typeof x === 'string') : [];
  if (extending) inputsOf.set(rel, { props, required, closed: inputs ? inputs.additionalProperties === false : true });
  const bodyHere = body === root;
  // a problem of the text: inside the template when it is this file's, else at the key that inherits it
  const at = (t: TemplateFact, pos: { line: number; column: number }): Pick<Finding, 'pointer' | 'inScalar'> =>
    bodyHere ? { pointer: t.pointer, inScalar: pos } : { pointer: '/extends' };
  const inherited = bodyHere ? '' : ` (in the template ${keyOf(body.id, body.version)} passes on)`;
  const add = (f: Omit<Finding, 'rel'>): void => void findings.push({ rel, ...f });
  const partialFacts = (key: string): PartialFacts | undefined => {
    const d = res.partials.get(key);
    if (!d) return undefined;
    const f = factsOf(relOf(d.id, d.version));
    const t = f?.templates?.[0];
    if (!f || !t) return undefined;
    const req = isObject(f.skeleton.inputs) && Array.isArray(f.skeleton.inputs.required) ? f.skeleton.inputs.required.filter((x): x is string => typeof x === 'string') : [];
    return { vars: t.vars, rootVars: t.rootVars ?? [], sites: t.sites, uses: stringMap(f.skeleton.uses), required: req };
  };
  const what = res.kind === 'partial' ? 'this partial' : 'the prompt';
  const used = new Set<string>();
  const included = new Set<string>();
  let anySite = false;
  for (const t of templates) {
    for (const v of t.vars) {
      used.add(v.name);
      if (extending && !declared.has(v.name)) add({ ...at(t, v), rule: 'input-undeclared', severity: 'error', message: `${undeclared(v, props, inputs)}${inherited}` });
    }
    for (const s of t.sites) {
      anySite = true;
      included.add(s.name);
      if (extending && ownKey(res.uses, s.name) === undefined) {
        add({ ...at(t, s), rule: 'partial-undeclared', severity: 'error', message: `partial "${s.name}" is not declared under "uses:" of ${keyOf(root.id, root.version)} or the versions it extends${inherited}` });
      }
    }
    for (const v of includedVariables(t.sites, res.uses, partialFacts)) {
      used.add(v.name);
      if (declared.has(v.name)) continue;
      add({ ...at(t, v.via), rule: 'input-undeclared', severity: 'error', message: `${viaText(v.via, v.partial)} uses "${v.name}" (its line ${v.line}, column ${v.column}), which ${what}'s inputs do not declare; declare it in inputs.properties${inherited}` });
    }
    for (const q of includedRequirements(t.sites, res.uses, partialFacts)) {
      if (!declared.has(q.name)) {
        add({ ...at(t, q.via), rule: 'input-undeclared', severity: 'error', message: `${viaText(q.via, q.partial)} requires input "${q.name}", which ${what}'s inputs do not declare; declare it (required)${inherited}` });
      } else if (!required.includes(q.name)) {
        add({ ...at(t, q.via), rule: 'partial-input-optional', severity: 'warning', message: `${viaText(q.via, q.partial)} requires input "${q.name}", which is optional here; add it to inputs.required (or include the partial only inside {{#if ${q.name}}})${inherited}` });
      }
    }
  }
  if (extending && inputs && inputs.type !== 'object') {
    add({ pointer: Object.hasOwn(root.value, 'inputs') ? '/inputs' : '/extends', rule: 'inputs-not-object', severity: 'error', message: '"inputs" (merged with the versions it extends) must be a JSON Schema of an object: add "type: object"' });
  }
  // the checks the per-file phase leaves to this one: with partials or parents, "used" needs them
  if ((anySite || extending) && templates.length > 0) {
    const own = isObject(root.value.inputs) && Array.isArray(root.value.inputs.required) ? root.value.inputs.required : [];
    required.forEach((name) => {
      if (used.has(name)) return;
      const i = own.indexOf(name);
      add({
        pointer: i >= 0 ? `/inputs/required/${i}` : '/extends',
        rule: 'input-unused',
        severity: 'warning',
        message: `required input "${name}" is never used by the template${anySite ? ' or the partials it includes' : ''}; use it or make it optional`,
      });
    });
  }
  if (extending) {
    const usesFrom = res.origin('uses');
    if (usesFrom === root) {
      for (const name of Object.keys(res.uses)) {
        if (!included.has(name)) add({ pointer: '/uses', key: name, rule: 'partial-unused', severity: 'warning', message: `partial "${name}" is declared but no template includes it${inherited}; include it with {{> ${name}}} or remove it` });
      }
    }
  }
}

function viaText(via: IncludeSite, partial: string): string {
  return `the partial ${partial} (included as {{> ${via.name}}})`;
}

function undeclared(v: TemplateVariable, props: readonly string[], inputs: unknown): string {
  const s = didYouMean(v.name, props);
  return inputs
    ? `the template uses "${v.name}", which is not declared in inputs.properties (merged with the versions it extends)${s ? `; did you mean "${s}"?` : `; declare it (e.g. ${v.name}: { type: string })`}`
    : `the template uses "${v.name}" but neither this file nor the versions it extends declare inputs`;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

/** Adds the findings of selected files to the run, with positions (their files parsed carefully only now). */
async function reportFindings(run: Run, sel: Selection, findings: Finding[]): Promise<void> {
  const byFile = new Map<string, Finding[]>();
  const seen = new Set<string>();
  for (const f of findings) {
    if (!sel.inSel(f.rel)) continue;
    const k = `${f.rel}\0${f.rule}\0${f.pointer}\0${f.key ?? ''}\0${f.inScalar?.line ?? ''}:${f.inScalar?.column ?? ''}\0${f.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const list = byFile.get(f.rel);
    if (list) list.push(f);
    else byFile.set(f.rel, [f]);
  }
  if (!byFile.size) return;
  const blobs = await run.src.read([...byFile.keys()]);
  const [{ parseYaml }, { fullDoc }] = await Promise.all([import('../registry/yaml.js'), import('./full-doc.js')]);
  for (const [rel, list] of byFile) {
    const text = blobs.get(rel)?.bytes?.toString('utf8') ?? '';
    const parsed = parseYaml(text);
    const doc = parsed.issues.length ? null : fullDoc(parsed, text);
    for (const f of list) {
      const pos = !doc ? { line: 1, column: 1 } : f.inScalar ? doc.posInScalar(f.pointer, f.inScalar.line, f.inScalar.column) : doc.pos(f.pointer, f.key);
      run.problems.push({ file: rel, line: pos.line, column: pos.column, rule: f.rule, message: f.message, severity: f.severity });
    }
  }
}

export type { VersionDoc };

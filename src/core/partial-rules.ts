/**
 * What a change of the partials a prompt includes means (SPEC §14): the partial changes `diff`
 * shows (which include, from which version to which, its template's line diff, its inputs), and
 * the semver findings `bump`, `diff` and `validate --base` add to the prompt's own (semver-rules.ts):
 * a partial that renders other text is a patch, one that now requires an input the prompt's
 * callers never had to pass is major. Pure.
 */
import type { BumpFinding, BumpLevel, RequiredBump } from './semver-rules.js';
import { maxLevel, requiredBump } from './semver-rules.js';
import type { PromptFile } from './types.js';
import { includedRequirements, includedVariables, libraryFacts, type PartialSpec, type TemplateLibrary } from './partials.js';
import { parseTemplate, templateIncludes, type IncludeSite } from './template.js';
import { jsonEqual } from './json.js';

/** A prompt as resolution gives it: the merged file and the partials its templates include. */
export interface ResolvedSide {
  prompt: PromptFile;
  library: TemplateLibrary;
}

const EMPTY: TemplateLibrary = { uses: {}, partials: {} };

/** One include of the prompt (by its path of names from the prompt: "tone", "tone > sig") on both sides. */
export interface IncludePair {
  path: string;
  from: { key: string; spec: PartialSpec } | null;
  to: { key: string; spec: PartialSpec } | null;
}

/** Every include path reachable from the prompt on either side, paired by its names (depth-first, sorted by name). */
export function includePairs(a: TemplateLibrary = EMPTY, b: TemplateLibrary = EMPTY): IncludePair[] {
  const out: IncludePair[] = [];
  const spec = (lib: TemplateLibrary, key: string | undefined): { key: string; spec: PartialSpec } | null =>
    key !== undefined && Object.hasOwn(lib.partials, key) ? { key, spec: lib.partials[key]! } : null;
  const walk = (ua: Record<string, string>, ub: Record<string, string>, prefix: string, depth: number, seen: Set<string>): void => {
    if (depth > 8) return;
    for (const name of [...new Set([...Object.keys(ua), ...Object.keys(ub)])].sort()) {
      const from = spec(a, Object.hasOwn(ua, name) ? ua[name] : undefined);
      const to = spec(b, Object.hasOwn(ub, name) ? ub[name] : undefined);
      const path = prefix ? `${prefix} > ${name}` : name;
      const mark = `${from?.key ?? ''}|${to?.key ?? ''}`;
      if (seen.has(mark)) continue; // a cycle: resolution refuses those
      out.push({ path, from, to });
      walk(from?.spec.uses ?? {}, to?.spec.uses ?? {}, path, depth + 1, new Set([...seen, mark]));
    }
  };
  walk(a.uses, b.uses, '', 1, new Set());
  return out;
}

const versionOf = (key: string): string => key.slice(key.lastIndexOf('@') + 1);
const idOf = (key: string): string => key.slice(0, key.lastIndexOf('@'));

/** "shared/tone 1.2.0 -> 1.3.0", "shared/tone@1.2.0 -> other/tone@1.0.0", "added shared/tone@1.2.0" */
export function pairText(p: IncludePair): string {
  if (p.from && p.to) {
    if (p.from.key === p.to.key) return p.to.key;
    return idOf(p.from.key) === idOf(p.to.key) ? `${idOf(p.to.key)} ${versionOf(p.from.key)} -> ${versionOf(p.to.key)}` : `${p.from.key} -> ${p.to.key}`;
  }
  return p.to ? `added ${p.to.key}` : `removed ${p.from!.key}`;
}

/** The include sites of the prompt's templates (of one side), for what its partials require. */
function sitesOf(p: PromptFile): IncludeSite[] {
  const texts = p.messages ? p.messages.map((m) => m.content) : [p.template ?? ''];
  const out: IncludeSite[] = [];
  for (const t of texts) {
    if (!t.includes('{{')) continue;
    const parsed = parseTemplate(t);
    if ('ast' in parsed) out.push(...templateIncludes(parsed.ast));
  }
  return out;
}

const requiredOf = (p: PromptFile): string[] => (Array.isArray(p.inputs?.required) ? (p.inputs.required as unknown[]).filter((x): x is string => typeof x === 'string') : []);

/** The semver findings of the partials' change (the prompt's own are requiredBump's). */
export function partialFindings(prev: ResolvedSide, next: ResolvedSide): BumpFinding[] {
  const out: BumpFinding[] = [];
  for (const pair of includePairs(prev.library, next.library)) {
    const { from, to } = pair;
    if (from && to && from.key === to.key) continue;
    const changedText = !from || !to || from.spec.template !== to.spec.template || !jsonEqual(from.spec.uses, to.spec.uses);
    if (changedText) out.push({ level: 'patch', reason: `partial ${pair.path}: ${pairText(pair)}${from && to ? (from.spec.template !== to.spec.template ? ', its template changed' : ', what it includes changed') : ''}` });
    else out.push({ level: 'patch', reason: `partial ${pair.path}: ${pairText(pair)} (same text)` });
  }
  // an input the partials now require that callers never had to pass: they break
  if (Object.keys(next.library.uses).length) {
    const before = new Set([
      ...requiredOf(prev.prompt),
      ...includedRequirements(sitesOf(prev.prompt), prev.library.uses, libraryFacts(prev.library)).map((r) => r.name),
    ]);
    const nowOwn = new Set(requiredOf(next.prompt));
    for (const r of includedRequirements(sitesOf(next.prompt), next.library.uses, libraryFacts(next.library))) {
      // a new required input of the prompt itself is requiredBump's finding already
      if (before.has(r.name) || nowOwn.has(r.name)) continue;
      out.push({ level: 'major', reason: `partial ${r.partial} (included as {{> ${r.via.name}}}) requires input "${r.name}", which callers did not have to pass` });
    }
  }
  return out;
}

const RANK: Record<BumpLevel, number> = { patch: 0, minor: 1, major: 2 };

/** requiredBump over resolved prompts: the prompt's own findings and its partials'. */
export function requiredBumpResolved(prev: ResolvedSide, next: ResolvedSide): RequiredBump {
  const base = requiredBump(prev.prompt, next.prompt);
  const extra = partialFindings(prev, next);
  if (extra.length === 0) return base;
  // the prompt's text is the same where only a partial changed; "template text changed" findings stay as requiredBump made them
  const findings = [...base.findings, ...extra].sort((x, y) => RANK[y.level] - RANK[x.level]);
  const level = findings.reduce<BumpLevel>((acc, f) => maxLevel(acc, f.level), 'patch');
  return { level, reasons: findings.map((f) => f.reason), findings };
}

/** An input a prompt must declare for the partials it includes (what `bump --use` adds). */
export interface MissingInput {
  name: string;
  /** the property schema the partial declares for it ({ type: string } when it declares none) */
  schema: Record<string, unknown>;
  /** the partial requires it */
  required: boolean;
  partial: string;
}

/**
 * The inputs the partials of a resolved prompt use (at the root) or require that the prompt
 * does not declare, and the declared ones a partial requires that the prompt leaves optional
 * only when the prompt does not declare them at all (making a declared optional input required
 * is the author's call: validate warns).
 */
export function missingInputs(side: ResolvedSide): MissingInput[] {
  const props = side.prompt.inputs?.properties;
  const declared = new Set(props && typeof props === 'object' ? Object.keys(props) : []);
  const sites = sitesOf(side.prompt);
  const facts = libraryFacts(side.library);
  const out = new Map<string, MissingInput>();
  const schemaOf = (key: string, name: string): Record<string, unknown> => {
    const p = Object.hasOwn(side.library.partials, key) ? side.library.partials[key]!.inputs?.properties : undefined;
    const s = p && typeof p === 'object' && Object.hasOwn(p, name) ? (p as Record<string, unknown>)[name] : undefined;
    return s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>) : { type: 'string' };
  };
  for (const v of includedVariables(sites, side.library.uses, facts)) {
    if (!declared.has(v.name) && !out.has(v.name)) out.set(v.name, { name: v.name, schema: schemaOf(v.partial, v.name), required: false, partial: v.partial });
  }
  for (const r of includedRequirements(sites, side.library.uses, facts)) {
    if (declared.has(r.name)) continue;
    const have = out.get(r.name);
    if (have) have.required = true;
    else out.set(r.name, { name: r.name, schema: schemaOf(r.partial, r.name), required: true, partial: r.partial });
  }
  return [...out.values()];
}

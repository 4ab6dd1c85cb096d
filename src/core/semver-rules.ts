/**
 * Semver that means something (issue 3 item 8): the smallest version bump a change between two
 * prompt versions requires, with a human reason for each finding. Pure: no fs, no clock.
 *
 * Callers pass values to a prompt (its `inputs`), and consume what it produces (`output`):
 * - major: an input removed or renamed, a new required input, an optional input made required,
 *   an input's type/enum/constraints narrowed or changed, `additionalProperties: false` added;
 *   the output format changed, the output schema removed, or changed incompatibly (a property
 *   removed, newly required, no longer required, narrowed type/enum/constraints).
 * - minor: a new optional input, an input made optional, a widened type/enum/constraint, an
 *   additive output change (a new optional property, a schema added where there was none).
 * - patch: everything else (templates, model, parameters, description, tags, …).
 */
// single functions, not the whole package: validate --base loads this module
import semverInc from 'semver/functions/inc.js';
import semverParse from 'semver/functions/parse.js';
import semverCompare from 'semver/functions/compare.js';
import semverPrerelease from 'semver/functions/prerelease.js';
import type { JsonSchema, PromptFile } from './types.js';
import { canonicalJson, isObject, jsonEqual } from './json.js';
import { compareSchema, type SchemaChange } from './schema-compat.js';

export type BumpLevel = 'major' | 'minor' | 'patch';

export interface BumpFinding {
  level: BumpLevel;
  reason: string;
}

export interface RequiredBump {
  level: BumpLevel;
  /** one human sentence per finding, most severe first */
  reasons: string[];
  findings: BumpFinding[];
}

const RANK: Record<BumpLevel, number> = { patch: 0, minor: 1, major: 2 };

export function levelRank(level: BumpLevel): number {
  return RANK[level];
}

export function maxLevel(a: BumpLevel, b: BumpLevel): BumpLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/* ---------------------------------------------------------------------------- the rules -- */

const NO_INPUTS: JsonSchema = { type: 'object', properties: {}, additionalProperties: false };

function inputFindings(prev: JsonSchema | undefined, next: JsonSchema | undefined): BumpFinding[] {
  const changes = compareSchema(prev ?? NO_INPUTS, next ?? NO_INPUTS, '');
  // A removed input and an added one with an identical schema read better as a rename.
  const renamed = new Set<SchemaChange>();
  const findings: BumpFinding[] = [];
  const pp = isObject(prev?.properties) ? prev.properties : {};
  const np = isObject(next?.properties) ? next.properties : {};
  for (const r of changes.filter((c) => c.kind === 'removed' && !c.path.includes('.'))) {
    const a = changes.find((c) => (c.kind === 'added-optional' || c.kind === 'added-required') && !c.path.includes('.') && !renamed.has(c) && jsonEqual(pp[r.path], np[c.path]));
    if (a) {
      renamed.add(r).add(a);
      findings.push({ level: 'major', reason: `input "${r.path}" was renamed to "${a.path}"` });
    }
  }
  for (const c of changes) {
    if (renamed.has(c)) continue;
    const subject = c.path ? `input "${c.path}"` : 'the inputs schema';
    findings.push({ level: c.dir === 'narrow' ? 'major' : 'minor', reason: `${subject} ${c.text}` });
  }
  return findings;
}

function outputFindings(prev: PromptFile['output'], next: PromptFile['output']): BumpFinding[] {
  const pf = prev?.format ?? 'text';
  const nf = next?.format ?? 'text';
  if (pf !== nf) return [{ level: 'major', reason: `output format changed from ${pf} to ${nf}` }];
  const ps = prev?.schema;
  const ns = next?.schema;
  if (ps === undefined && ns === undefined) return [];
  if (ps !== undefined && ns === undefined) return [{ level: 'major', reason: 'output schema was removed' }];
  if (ps === undefined && ns !== undefined) return [{ level: 'minor', reason: 'output schema was added' }];
  const findings: BumpFinding[] = [];
  for (const c of compareSchema(ps, ns, '')) {
    const subject = c.path ? `output property "${c.path}"` : 'the output schema';
    // Consumers read the output: a property that may now be missing breaks them too.
    const major = c.kind === 'made-optional' || c.kind === 'removed' || c.dir === 'narrow';
    findings.push({ level: major ? 'major' : 'minor', reason: `${subject} ${c.text}` });
  }
  return findings;
}

function describeValue(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : canonicalJson(v);
}

function patchFindings(prev: PromptFile, next: PromptFile): BumpFinding[] {
  const out: BumpFinding[] = [];
  const p = (reason: string): void => void out.push({ level: 'patch', reason });
  const pm = prev.messages ?? [];
  const nm = next.messages ?? [];
  if (prev.template !== next.template || !jsonEqual(pm, nm)) {
    if (prev.template !== undefined && next.template !== undefined) p('the template text changed');
    else if (prev.template !== undefined || next.template !== undefined) p('switched between "template" and "messages"');
    else if (pm.length !== nm.length) p(`the number of messages changed from ${pm.length} to ${nm.length}`);
    else {
      nm.forEach((m, i) => {
        const o = pm[i];
        if (o && o.role !== m.role) p(`message ${i + 1} changed role from ${o.role} to ${m.role}`);
        if (o && o.content !== m.content) p(`message ${i + 1} (${m.role}) text changed`);
      });
    }
  }
  if (prev.model?.provider !== next.model?.provider) p(`model provider changed from ${describeValue(prev.model?.provider)} to ${describeValue(next.model?.provider)}`);
  if (prev.model?.name !== next.model?.name) p(`model changed from ${describeValue(prev.model?.name)} to ${describeValue(next.model?.name)}`);
  const pp = prev.model?.parameters ?? {};
  const np = next.model?.parameters ?? {};
  for (const k of new Set([...Object.keys(pp), ...Object.keys(np)])) {
    if (!jsonEqual(pp[k], np[k])) p(`model parameter ${k} changed from ${describeValue(pp[k])} to ${describeValue(np[k])}`);
  }
  for (const k of ['description', 'author', 'tags'] as const) {
    if (!jsonEqual(prev[k], next[k])) p(`${k} changed`);
  }
  return out;
}

/**
 * The smallest bump `next` needs relative to `prev`, with a reason for each finding. Fields
 * that change with every version (`id`, `version`, `created`, `changes`) are ignored. When
 * nothing else differs, the level is `patch` and `reasons` is empty.
 */
export function requiredBump(prev: PromptFile, next: PromptFile): RequiredBump {
  const findings = [...inputFindings(prev.inputs, next.inputs), ...outputFindings(prev.output, next.output), ...patchFindings(prev, next)];
  if (!jsonEqual(prev.inputs, next.inputs) && !findings.some((f) => f.reason.startsWith('input') || f.reason.startsWith('the inputs'))) {
    findings.push({ level: 'patch', reason: 'input descriptions or annotations changed' });
  }
  if (!jsonEqual(prev.output, next.output) && !findings.some((f) => f.reason.includes('output'))) {
    findings.push({ level: 'patch', reason: 'output annotations changed' });
  }
  findings.sort((a, b) => RANK[b.level] - RANK[a.level]);
  const level = findings.reduce<BumpLevel>((acc, f) => maxLevel(acc, f.level), 'patch');
  return { level, reasons: findings.map((f) => f.reason), findings };
}

/* ------------------------------------------------------------------ versions and levels -- */

export type ReleaseType = 'major' | 'minor' | 'patch' | 'premajor' | 'preminor' | 'prepatch' | 'prerelease';
export const RELEASE_TYPES: readonly ReleaseType[] = ['major', 'minor', 'patch', 'premajor', 'preminor', 'prepatch', 'prerelease'];

export function isReleaseType(s: string): s is ReleaseType {
  return (RELEASE_TYPES as readonly string[]).includes(s);
}

/**
 * The next version (semver's `inc`): `prerelease` of `1.2.0` is `1.2.1-<preid>.0` (preid
 * defaults to "rc"), of `1.2.1-rc.0` it is `1.2.1-rc.1`. Returns undefined for an invalid
 * current version.
 */
export function nextVersion(current: string, type: ReleaseType, preid?: string): string | undefined {
  // Without --preid, `prerelease` continues the current line (1.2.1-beta.0 → 1.2.1-beta.1);
  // a new prerelease line starts as "rc".
  const continues = type === 'prerelease' && preid === undefined && (semverPrerelease(current)?.length ?? 0) > 0;
  const id = continues ? undefined : (preid ?? (type.startsWith('pre') ? 'rc' : undefined));
  return (id === undefined ? semverInc(current, type) : semverInc(current, type, id, '0')) ?? undefined;
}

/**
 * The level a version step `from → to` amounts to, for comparison with a required level.
 * A prerelease step within one release line counts as that release's level (2.0.0-rc.0 →
 * 2.0.0-rc.1 is "major"). Below 1.0.0 a minor step counts as major, following npm's caret
 * convention (^0.2.0 excludes 0.3.0) and a patch step as minor (^0.2.0 includes 0.2.5).
 * Returns undefined when `to` is not greater than `from`.
 */
export function stepLevel(from: string, to: string): BumpLevel | undefined {
  const a = semverParse(from);
  const b = semverParse(to);
  if (!a || !b || semverCompare(b, a) <= 0) return undefined;
  let level: BumpLevel;
  if (b.major !== a.major) level = 'major';
  else if (b.minor !== a.minor) level = 'minor';
  else if (b.patch !== a.patch) level = 'patch';
  else {
    // same release line: from is a prerelease of b's release (or b is too)
    level = b.patch !== 0 ? 'patch' : b.minor !== 0 ? 'minor' : 'major';
  }
  if (b.major === 0) level = level === 'minor' ? 'major' : level === 'patch' ? 'minor' : level;
  return level;
}

/** Does the step `from → to` satisfy `required`? */
export function bumpSatisfies(from: string, to: string, required: BumpLevel): boolean {
  const level = stepLevel(from, to);
  return level !== undefined && RANK[level] >= RANK[required];
}

/**
 * The release type that applies `required` to `current`: below 1.0.0 (initial development) a
 * breaking change is a minor step (0.3.0 → 0.4.0) and an additive one a patch step, the
 * mirror of `stepLevel`, so that `prompts bump` never leaves 0.x on its own.
 */
export function releaseTypeFor(current: string, required: BumpLevel): BumpLevel {
  const v = semverParse(current);
  if (v && v.major === 0) return required === 'major' ? 'minor' : 'patch';
  return required;
}

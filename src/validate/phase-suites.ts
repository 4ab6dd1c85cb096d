/**
 * Phase 5b, the cross-file checks of eval suites: every case's vars against the inputs of the
 * versions the case applies to (its `versions:` range), as eval would see them: a var no such
 * version declares (warning), a var some of those versions no longer declare (warning: a
 * breaking bump removed an input the case still passes), a required input a case does not
 * provide (warning).
 */
import { createRequire } from 'node:module';
import { sortVersions } from '../core/ref.js';
import { didYouMean } from '../core/suggest.js';
import { versionRel } from './layout.js';
import type { ConfigStage } from './phase-config.js';
import type { Checked } from './phase-files.js';
import type { Selection } from './phase-select.js';
import type { Run } from './run.js';
import type { CaseFact, InputFacts } from './checks/types.js';

/** `merged`: the inputs of versions that extend another, merged (phase-resolve.ts). */
export async function checkSuiteVars(run: Run, cfg: ConfigStage, sel: Selection, checked: Checked, report: Set<string>, merged: ReadonlyMap<string, InputFacts> = new Map()): Promise<void> {
  const { promptsDir } = cfg;
  const pPrefix = `${promptsDir}/`;
  for (const rel of report) {
    if (sel.layout.files.get(rel) !== 'suite') continue;
    const cases = checked.outcomes.get(rel)?.cases;
    const id = rel.slice(pPrefix.length, rel.lastIndexOf('/'));
    const versions = sel.layout.versions.get(id) ?? [];
    const facts = versions.map((v) => merged.get(versionRel(promptsDir, id, v)) ?? checked.outcomes.get(versionRel(promptsDir, id, v))?.inputs);
    if (!cases?.length || !versions.length || facts.some((f) => f === undefined)) continue; // not all versions were checked in this run
    const found: { pointer: string; key?: string; rule: string; message: string }[] = [];
    for (const c of cases) {
      const applies = versions.map((v, k) => ({ v, f: facts[k]! })).filter(({ v }) => c.versions === undefined || safeSatisfies(v, c.versions));
      if (!applies.length) continue;
      for (const name of c.vars) {
        if (applies.every(({ f }) => f.closed && !f.props.includes(name))) {
          const s = didYouMean(name, [...new Set(applies.flatMap(({ f }) => f.props))]);
          found.push({
            pointer: `/cases/${c.index}/vars`,
            key: name,
            rule: 'suite-var-undeclared',
            message: `case "${c.name}" passes "${name}", which no version it applies to declares in its inputs${s ? `; did you mean "${s}"?` : ''} (eval would reject it)`,
          });
        } else {
          // declared by some versions the case applies to, not by others (an input a breaking bump removed)
          const lacking = applies.filter(({ f }) => f.closed && !f.props.includes(name)).map(({ v }) => v);
          if (lacking.length) {
            const vs = sortVersions(lacking);
            found.push({
              pointer: `/cases/${c.index}/vars`,
              key: name,
              rule: 'suite-var-removed',
              message: `case "${c.name}" passes "${name}", which version${vs.length > 1 ? 's' : ''} ${vs.join(', ')} ${vs.length > 1 ? 'do' : 'does'} not declare (eval of ${vs.length > 1 ? 'them' : 'it'} would reject the case); limit the case with versions: (e.g. "<${vs[0]}") or drop the var`,
            });
          }
        }
      }
      const missing = new Map<string, string[]>();
      for (const { v, f } of applies) for (const req of f.required) if (!c.vars.includes(req)) missing.set(req, [...(missing.get(req) ?? []), v]);
      for (const [req, vs] of missing) {
        found.push({
          pointer: `/cases/${c.index}/name`,
          rule: 'suite-var-missing',
          message: `case "${c.name}" does not provide required input "${req}" of ${vs.length === applies.length ? 'the versions it applies to' : `version${vs.length > 1 ? 's' : ''} ${sortVersions(vs).join(', ')}`}; add it to vars (or defaults.vars), or limit the case with "versions:"`,
        });
      }
    }
    if (found.length) {
      const text = (await run.src.read([rel])).get(rel)?.bytes?.toString('utf8') ?? '';
      const { parseYaml, positionOf } = await import('../registry/yaml.js');
      const parsed = parseYaml(text);
      for (const f of found) {
        const pos = parsed.issues.length ? { line: 1, column: 1 } : positionOf(parsed, f.pointer, f.key);
        run.problems.push({ file: rel, ...pos, rule: f.rule, message: f.message, severity: 'warning' });
      }
    }
  }
}

const requireCjs = createRequire(import.meta.url);
const satisfiesMemo = new Map<string, boolean>();
type Satisfies = (v: string, r: string, o: object) => boolean;
let semverSatisfies: Satisfies | undefined;
export function safeSatisfies(v: string, range: string): boolean {
  // suites repeat the same few ranges; parsing a range each time costs more than the check
  const key = `${range}\0${v}`;
  let ok = satisfiesMemo.get(key);
  if (ok === undefined) {
    ok = simpleSatisfies(v, range);
    if (ok === undefined) {
      semverSatisfies ??= requireCjs('semver/functions/satisfies.js') as Satisfies;
      try {
        ok = semverSatisfies(v, range, { includePrerelease: true });
      } catch {
        ok = false;
      }
    }
    satisfiesMemo.set(key, ok);
  }
  return ok;
}

const PLAIN_VERSION = /^(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
const PLAIN_COMPARATOR = /^(>=|<=|>|<|=)?(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})\.(0|[1-9]\d{0,14})$/;
/**
 * semver's satisfies for the common case, without loading semver's range parser: a version
 * without prerelease or build and a range of space-separated comparators (>=, <=, >, <, = or
 * none) of full x.y.z versions. Undefined for anything else (semver decides).
 */
export function simpleSatisfies(v: string, range: string): boolean | undefined {
  const m = PLAIN_VERSION.exec(v);
  if (!m) return undefined;
  const parts = range.trim().split(/\s+/);
  if (parts.length === 0 || parts[0] === '') return undefined;
  let ok = true;
  for (const part of parts) {
    const c = PLAIN_COMPARATOR.exec(part);
    if (!c) return undefined;
    const cmp = Number(m[1]) - Number(c[2]) || Number(m[2]) - Number(c[3]) || Number(m[3]) - Number(c[4]);
    const op = c[1] ?? '=';
    if (!(op === '>=' ? cmp >= 0 : op === '<=' ? cmp <= 0 : op === '>' ? cmp > 0 : op === '<' ? cmp < 0 : cmp === 0)) ok = false;
  }
  return ok;
}

/**
 * The suite's cases that apply to `version` and pass inputs it does not declare (its inputs are
 * closed): after a breaking bump that removed an input, eval of the new version rejects them.
 */
export function casesPassingUndeclared(cases: readonly CaseFact[], version: string, inputs: InputFacts): { name: string; vars: string[] }[] {
  if (!inputs.closed) return [];
  const out: { name: string; vars: string[] }[] = [];
  for (const c of cases) {
    if (c.versions !== undefined && !safeSatisfies(version, c.versions)) continue;
    const vars = c.vars.filter((n) => !inputs.props.includes(n));
    if (vars.length) out.push({ name: c.name, vars });
  }
  return out;
}

/**
 * Loading what an eval needs: the version file (and its sha256), the suite (and its sha256),
 * and the cases that apply to the version — suite `defaults.vars` merged under each case's vars,
 * `defaults.assert` before each case's assertions, `versions:` semver ranges applied.
 */
import semver from 'semver';
import { CheckFailed } from '../errors.js';
import type { Assertion, PromptFile, SuiteFile } from '../core/types.js';
import type { Registry, LoadedYaml } from '../registry/registry.js';
import { positionOf } from '../registry/yaml.js';
import { sha256 } from '../registry/files.js';

export interface EvalCaseSpec {
  /** position in the suite file, for stable ordering */
  index: number;
  name: string;
  vars: Record<string, unknown>;
  assert: Assertion[];
}

export interface EvalTarget {
  id: string;
  version: string;
  prompt: PromptFile;
  /** sha256 of the version file's bytes */
  sha256: string;
  suite: SuiteFile;
  suite_sha256: string;
  suiteRel: string;
  /** the cases that apply to this version */
  cases: EvalCaseSpec[];
  /** how many cases the suite has in all */
  totalCases: number;
}

export class SuiteMissing extends Error {
  constructor(readonly id: string, readonly rel: string) {
    super(`prompt "${id}" has no eval suite (${rel})`);
    this.name = 'SuiteMissing';
  }
}

/** Checks what the suite schema cannot: valid semver ranges and unique case names. */
export function checkSuite(loaded: LoadedYaml<SuiteFile>): void {
  const seen = new Map<string, number>();
  loaded.value.cases.forEach((c, i) => {
    if (c.versions !== undefined && semver.validRange(c.versions) === null) {
      throw new CheckFailed(`case "${c.name}": "${c.versions}" is not a valid semver range`, {
        location: { file: loaded.rel, ...positionOf(loaded.parsed, `/cases/${i}/versions`) },
        hint: 'use a range like ">=1.2.0" or "^1.0.0 || 2.x"',
      });
    }
    const prev = seen.get(c.name);
    if (prev !== undefined) {
      throw new CheckFailed(`duplicate case name "${c.name}" (also case #${prev + 1}); case names identify results across versions`, {
        location: { file: loaded.rel, ...positionOf(loaded.parsed, `/cases/${i}/name`) },
        hint: 'give every case a unique name',
      });
    }
    seen.set(c.name, i);
  });
}

export function casesFor(suite: SuiteFile, version: string): EvalCaseSpec[] {
  const dVars = suite.defaults?.vars ?? {};
  const dAssert = suite.defaults?.assert ?? [];
  const out: EvalCaseSpec[] = [];
  suite.cases.forEach((c, index) => {
    if (c.versions !== undefined && !semver.satisfies(version, c.versions, { includePrerelease: true })) return;
    out.push({ index, name: c.name, vars: { ...dVars, ...(c.vars ?? {}) }, assert: [...dAssert, ...(c.assert ?? [])] });
  });
  return out;
}

/** Loads version + suite; throws SuiteMissing when the prompt has no evals.yaml. */
export function loadEvalTarget(registry: Registry, id: string, version: string): EvalTarget {
  const p = registry.loadPrompt(id, version);
  const s = registry.loadSuite(id);
  if (!s) throw new SuiteMissing(id, registry.rel(registry.suitePath(id)));
  checkSuite(s);
  return {
    id,
    version,
    prompt: p.value,
    sha256: sha256(p.decoded.bytes),
    suite: s.value,
    suite_sha256: sha256(s.decoded.bytes),
    suiteRel: s.rel,
    cases: casesFor(s.value, version),
    totalCases: s.value.cases.length,
  };
}

/**
 * Loading what an eval needs: the version file (and its sha256), the suite (and its sha256),
 * and the cases that apply to the version — suite `defaults.vars` merged under each case's vars,
 * `defaults.assert` before each case's assertions, `versions:` semver ranges applied.
 */
import semver from 'semver';
import { CheckFailed, UsageError } from '../errors.js';
import type { Assertion, DepsMap, PromptFile, SuiteFile } from '../core/types.js';
import type { TemplateLibrary } from '../core/partials.js';
import { resolvedDigest, resolveVersion } from '../registry/resolved.js';
import type { Registry, LoadedYaml } from '../registry/registry.js';
import { positionOf } from '../registry/yaml.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256, contentSha256, readRegistryFile, isFileProblem } from '../registry/files.js';
import { readStateText, trackedStateSync, writeStateFile } from '../registry/state.js';
import { schemaFile } from '../paths.js';
import type { ShardInfo } from './shard.js';
import { assertionProblems } from './assertions/check.js';

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
  /** the resolved prompt (extends applied) */
  prompt: PromptFile;
  /** the partials its templates include */
  library: TemplateLibrary;
  /** sha256 of every other file it is resolved from (empty for a prompt without partials or parents) */
  deps: DepsMap;
  /** sha256 of the canonical JSON of its resolved content (registry/resolved.ts resolvedDigest) */
  resolved_sha256: string;
  /** sha256 of the version file's bytes */
  sha256: string;
  suite: SuiteFile;
  suite_sha256: string;
  suiteRel: string;
  /** the cases that apply to this version */
  cases: EvalCaseSpec[];
  /** how many cases the suite has in all */
  totalCases: number;
  /** remembers the parsed suite (called by the runner once the run is sure to start, so usage errors write nothing) */
  remember?: () => void;
  /** set by selectShard: `cases` holds only this shard's cases */
  shard?: ShardInfo;
}

/** How many times each case runs and the share of runs that must pass (SPEC §16). */
export interface RepeatPolicy {
  repeat: number;
  case_pass_rate: number;
}

/** The suite's `defaults.repeat` / `defaults.case_pass_rate`, overridden by flags; 1 and 1.0 by default. */
export function repeatPolicy(suite: SuiteFile, flags: { repeat?: number; casePassRate?: number } = {}): RepeatPolicy {
  return { repeat: flags.repeat ?? suite.defaults?.repeat ?? 1, case_pass_rate: flags.casePassRate ?? suite.defaults?.case_pass_rate ?? 1 };
}

export class SuiteMissing extends Error {
  constructor(readonly id: string, readonly rel: string) {
    super(`prompt "${id}" has no eval suite (${rel})`);
    this.name = 'SuiteMissing';
  }
}

/** A partial is evaluated through the prompts that include it, never alone. */
export class PartialTarget extends UsageError {
  constructor(readonly id: string, version: string) {
    super(`${id}@${version} is a partial: it is evaluated through the prompts that include it`, { hint: `see "prompts dependents ${id}"` });
  }
}

/**
 * Checks what the suite schema cannot: valid semver ranges, unique case names, and each
 * assertion's own fields as eval reads them (assertions/check.ts, what validate reports too).
 */
export function checkSuite(loaded: LoadedYaml<SuiteFile>): void {
  const seen = new Map<string, number>();
  const assertions = (list: unknown, base: string, where: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((a, j) => {
      if (a === null || typeof a !== 'object' || Array.isArray(a)) return;
      const pr = assertionProblems(a as Record<string, unknown>).find((x) => x.severity === 'error');
      if (pr) {
        throw new CheckFailed(`${where}, assertion ${j + 1} (${String((a as Assertion).type)}): ${pr.message}`, {
          location: { file: loaded.rel, ...positionOf(loaded.parsed, `${base}/${j}/${pr.field}`) },
          hint: 'run "prompts validate" to see every problem of the suite',
        });
      }
    });
  };
  assertions(loaded.value.defaults?.assert, '/defaults/assert', 'defaults');
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
    assertions(c.assert, `/cases/${i}/assert`, `case "${c.name}"`);
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

let schemaDigest: string | undefined;

/**
 * The suite, parsed and validated. Parsing YAML with positions costs ~0.3 ms per case, so a
 * suite that was valid once is remembered under .prompts/cache/suites/ keyed by the sha256 of
 * its bytes and of the suite schema: the same bytes are never re-parsed. Anything else (a new
 * or changed file, an error) goes through the registry's full parse, which reports positions.
 */
export function loadSuiteCached(registry: Registry, id: string): { value: SuiteFile; sha256: string; rel: string; remember?: () => void } | undefined {
  const file = registry.suitePath(id);
  if (!fs.lstatSync(file, { throwIfNoEntry: false })) return undefined;
  const rel = registry.rel(file);
  const decoded = readRegistryFile(file, registry.root);
  if (!isFileProblem(decoded)) {
    const digest = contentSha256(decoded.bytes);
    try {
      schemaDigest ??= sha256(fs.readFileSync(schemaFile('suite')));
    } catch {
      schemaDigest = 'none';
    }
    const cacheFile = path.join(registry.stateDir, 'cache', 'suites', `${sha256(`${digest}:${schemaDigest}`)}.json`);
    // a cached suite counts only when promptrail could have written it (not committed, no
    // symbolic link: registry/state.ts) and it names the bytes it was parsed from
    const cached = readStateText(registry.root, cacheFile, trackedStateSync(registry.root));
    if (cached !== undefined) {
      try {
        const c = JSON.parse(cached) as { source_sha256?: unknown; schema?: unknown; suite?: SuiteFile };
        if (c && c.source_sha256 === digest && c.schema === schemaDigest && c.suite && Array.isArray(c.suite.cases)) return { value: c.suite, sha256: digest, rel };
      } catch {}
    }
    const loaded = registry.loadSuite(id)!;
    checkSuite(loaded);
    const remember = (): void => {
      try {
        writeStateFile(registry.root, cacheFile, JSON.stringify({ source_sha256: digest, schema: schemaDigest, suite: loaded.value }), { durable: false });
      } catch {
        // a read-only checkout still evaluates; it only re-parses next time
      }
    };
    return { value: loaded.value, sha256: contentSha256(loaded.decoded.bytes), rel, remember };
  }
  const loaded = registry.loadSuite(id)!; // throws the file problem with its location
  checkSuite(loaded);
  return { value: loaded.value, sha256: contentSha256(loaded.decoded.bytes), rel };
}

/** Loads the resolved version + suite; throws SuiteMissing when the prompt has no evals.yaml. */
export function loadEvalTarget(registry: Registry, id: string, version: string): EvalTarget {
  const rv = resolveVersion(registry, { id, version });
  if (rv.resolution.kind === 'partial') throw new PartialTarget(id, version);
  const s = loadSuiteCached(registry, id);
  if (!s) throw new SuiteMissing(id, registry.rel(registry.suitePath(id)));
  return {
    id,
    version,
    prompt: rv.resolved.prompt,
    library: rv.resolved.library,
    deps: rv.resolved.deps,
    resolved_sha256: resolvedDigest(rv.resolved),
    sha256: rv.root.doc.sha256,
    suite: s.value,
    suite_sha256: s.sha256,
    suiteRel: s.rel,
    cases: casesFor(s.value, version),
    totalCases: s.value.cases.length,
    remember: s.remember,
  };
}

/**
 * When an existing eval report may stand in for running the suite (SPEC §11, §16): a stored
 * report under `.prompts/evals/` (reused by a gate), or a file given to `promote --report`
 * (typically the CI's merged shard report). Either is evidence only when it evaluated exactly
 * the bytes on disk now — version file, suite, and the config entries of the providers used —
 * with the gate's provider, model and parameters, completely (every case that applies, each
 * once, no shard, no errors, nothing stopped) and with at least the suite's repeat policy.
 * A report file tracked by git is never evidence: a pull request could have written it.
 */
import * as path from 'node:path';
import { CheckFailed } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { canonicalJson } from '../core/json.js';
import { configDigest, providersUsed } from './config-digest.js';
import { readReportFile, reportsOf } from './document.js';
import type { EvalReport } from './report.js';
import type { EvalTarget, RepeatPolicy } from './suite.js';

export interface EvidenceSpec {
  /** the version as the environment runs it (overrides applied) */
  target: EvalTarget;
  provider: string;
  policy: RepeatPolicy;
  /** configDigest of the providers the eval uses, as the config is now */
  configSha256: string;
}

export function evidenceSpec(registry: Registry, target: EvalTarget, provider: string, policy: RepeatPolicy): EvidenceSpec {
  return { target, provider, policy, configSha256: configDigest(registry, providersUsed(target, provider, target.prompt.model.name)) };
}

const short = (s: string | null | undefined): string => (s ? `${s.slice(0, 12)}…` : 'none');

/** Why `r` is not evidence for `spec` (empty: it is). */
export function evidenceProblems(r: EvalReport, spec: EvidenceSpec): string[] {
  const t = spec.target;
  const out: string[] = [];
  if (r.prompt !== t.id || r.version !== t.version) out.push(`it evaluated ${r.prompt}@${r.version}, not ${t.id}@${t.version}`);
  if (r.sha256 !== t.sha256) out.push(`it evaluated other bytes of ${t.id}@${t.version} (sha256 ${short(r.sha256)}, the file is ${short(t.sha256)} now)`);
  // a prompt with partials or parents: the files it was resolved from are part of what was evaluated
  if (Object.keys(t.deps).length && r.resolved_sha256 !== t.resolved_sha256) {
    out.push(`it evaluated ${t.id}@${t.version} resolved from other files (resolved sha256 ${short(r.resolved_sha256)}, now ${short(t.resolved_sha256)}): a partial or parent it uses changed`);
  }
  if (r.suite_sha256 !== t.suite_sha256) out.push(`it ran another version of ${t.suiteRel} (suite sha256 ${short(r.suite_sha256)}, the file is ${short(t.suite_sha256)} now)`);
  if (r.provider !== spec.provider) out.push(`it ran on provider "${r.provider}", the gate runs on "${spec.provider}"`);
  if (r.model !== t.prompt.model.name) out.push(`it ran model "${r.model}", the gate runs "${t.prompt.model.name}"`);
  if (r.parameters === undefined || canonicalJson(r.parameters) !== canonicalJson(t.prompt.model.parameters ?? {})) {
    out.push(`it ran with parameters ${r.parameters === undefined ? '(not recorded)' : canonicalJson(r.parameters)}, the gate runs ${canonicalJson(t.prompt.model.parameters ?? {})} (the environment's overrides applied: eval with --env <env>)`);
  }
  if ((r.config_sha256 ?? null) === null) out.push('it does not record the provider config digest (written by an older promptrail)');
  else if (r.config_sha256 !== spec.configSha256) out.push(`the provider config in prompts.config.yaml changed since (config digest ${short(r.config_sha256)}, now ${short(spec.configSha256)})`);
  if (r.shard) out.push(`it is shard ${r.shard.index}/${r.shard.count} only: merge the shards with "prompts report merge"`);
  if (r.interrupted) out.push('the run was interrupted');
  if (r.budget_exhausted) out.push('the run ran out of its --max-cost budget');
  else if (r.stopped !== null) out.push(`the run stopped early: ${r.stopped}`);
  if (r.errors > 0) out.push(`${r.errors} case(s) got no answer (errors)`);
  if ((r.repeat ?? 1) < spec.policy.repeat) out.push(`it ran each case ${r.repeat ?? 1} time(s); the suite asks for ${spec.policy.repeat}`);
  if ((r.case_pass_rate ?? 1) < spec.policy.case_pass_rate) out.push(`its case_pass_rate ${r.case_pass_rate} is below the suite's ${spec.policy.case_pass_rate}`);
  // complete: exactly the cases that apply, each once, and counts that agree with the results
  const want = new Set(t.cases.map((c) => c.name));
  const got = new Set<string>();
  let dup: string | undefined;
  let extra: string | undefined;
  for (const c of r.results) {
    if (got.has(c.name)) dup ??= c.name;
    got.add(c.name);
    if (!want.has(c.name)) extra ??= c.name;
  }
  const missing = t.cases.filter((c) => !got.has(c.name));
  if (missing.length) out.push(`${missing.length} case(s) that apply are not in it (e.g. "${missing[0]!.name}")`);
  if (extra !== undefined) out.push(`it has a case the suite does not apply to this version ("${extra}")`);
  if (dup !== undefined) out.push(`case "${dup}" appears twice`);
  const passed = r.results.filter((c) => c.pass).length;
  if (r.cases !== r.results.length || r.passed !== passed) out.push(`its counts do not match its results (${r.passed}/${r.cases} vs ${passed}/${r.results.length})`);
  return out;
}

export interface Evidence {
  report: EvalReport;
  /** sha256 of the report file's bytes */
  sha256: string;
  file: string;
}

/**
 * Loads `promote --report <file>` as evidence for `spec`, or refuses (exit 1; an unreadable or
 * non-report file is exit 2). A run document may hold several reports: the one of this prompt
 * version and provider is used.
 */
export async function loadEvidence(registry: Registry, cwd: string, given: string, spec: EvidenceSpec, opts: { tracked: (abs: string) => Promise<boolean> }): Promise<Evidence> {
  const f = await readReportFile(cwd, given);
  const where = `--report ${given}`;
  if (await opts.tracked(f.file)) {
    throw new CheckFailed(`refused: ${where} is tracked by git; a report committed to the repository is never evidence (a pull request could have written it)`, {
      hint: 'pass the report your CI produced (an artifact of this run), not a file from the checkout',
    });
  }
  const t = spec.target;
  const candidates = reportsOf(f.doc).filter((r) => r.prompt === t.id && r.version === t.version);
  const report = candidates.find((r) => r.provider === spec.provider) ?? candidates[0];
  if (!report) {
    const has = reportsOf(f.doc).map((r) => `${r.prompt}@${r.version}`);
    throw new CheckFailed(`refused: ${where} has no report of ${t.id}@${t.version}${has.length ? ` (it has ${[...new Set(has)].slice(0, 5).join(', ')})` : ''}`);
  }
  const problems = evidenceProblems(report, spec);
  if (problems.length) {
    throw new CheckFailed(`refused: ${where} is not evidence for ${t.id}@${t.version}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more: ${problems.slice(1).join('; ')})` : ''}`, {
      hint: `run the eval of exactly these files as the gate does ("prompts eval ${t.id}@${t.version} --env <env>"), or promote without --report to let the gate run it`,
    });
  }
  return { report, sha256: f.sha256, file: path.relative(registry.root, f.file) || f.file };
}

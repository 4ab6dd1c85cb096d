/**
 * `prompts report merge`: shard reports (`--shard i/n`) of one eval become the report of the
 * whole suite — only when they provably belong together and cover every case exactly once:
 * same prompt sha256, suite sha256, provider, provider type, model, parameters, provider config
 * digest, repeat policy, minimum pass rate and baseline; shard counts agree; every shard 1..n
 * present once and complete (not interrupted, stopped or out of budget); every case in the shard
 * its name hashes to, no case twice, and as many cases as the suite applies. Any failure is a
 * `CheckFailed` (exit 1) naming the files and what differs. Run documents (several prompts or
 * providers) merge group by group: each (prompt, version, provider) needs its full set of shards.
 */
import { CheckFailed } from '../errors.js';
import { canonicalJson } from '../core/json.js';
import { makeDocument, isRunDocument, reportsOf, type EvalRunDocument, type ReportFile, type Selection, type Skipped } from './document.js';
import { finishReport, type EvalReport, type ReportHeader, type ReportResult } from './report.js';
import { shardOf } from './shard.js';

export interface MergeInput {
  /** for messages: the file name as given */
  name: string;
  /** of the file's bytes, recorded in `merged.inputs` */
  sha256: string;
  report: EvalReport;
}

function refuse(message: string, hint?: string): never {
  throw new CheckFailed(`cannot merge: ${message}`, { hint });
}

const label = (r: EvalReport): string => `${r.prompt}@${r.version} on ${r.provider}`;
const shardName = (r: EvalReport): string => (r.shard ? `${r.shard.index}/${r.shard.count}` : 'unsharded');

/** The fields every shard of one eval must share; a difference means they are not one eval. */
const SAME: { field: string; get: (r: EvalReport) => unknown }[] = [
  { field: 'prompt sha256', get: (r) => r.sha256 },
  { field: 'resolved sha256 (partials and parents)', get: (r) => r.resolved_sha256 ?? null },
  { field: 'suite sha256', get: (r) => r.suite_sha256 },
  { field: 'provider type', get: (r) => r.provider_type },
  { field: 'model', get: (r) => r.model },
  { field: 'parameters', get: (r) => canonicalJson(r.parameters ?? null) },
  { field: 'provider config digest', get: (r) => r.config_sha256 },
  { field: 'repeat', get: (r) => r.repeat },
  { field: 'case_pass_rate', get: (r) => r.case_pass_rate },
  { field: 'min_pass_rate', get: (r) => r.min_pass_rate },
  { field: 'baseline version', get: (r) => r.baseline?.version ?? null },
  { field: 'baseline sha256', get: (r) => r.baseline?.sha256 ?? null },
  { field: 'shard count', get: (r) => r.shard?.count },
  { field: 'number of cases in the suite', get: (r) => r.shard?.total },
];

function shorten(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /^[0-9a-f]{64}$/.test(s) ? `${s.slice(0, 12)}…` : s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

/** Merges the shard reports of one eval (one prompt version on one provider). */
export function mergeShards(inputs: readonly MergeInput[]): EvalReport {
  if (inputs.length === 0) refuse('no shard reports');
  const first = inputs[0]!;
  for (const x of inputs) {
    const r = x.report;
    if (r.merged) refuse(`${x.name} is already a merged report (${label(r)}); merge the shard reports themselves`);
    if (!r.shard) refuse(`${x.name} is not a shard report (${label(r)} ran unsharded); run each part with --shard i/n`);
    if (r.prompt !== first.report.prompt || r.version !== first.report.version || r.provider !== first.report.provider) {
      refuse(`${first.name} and ${x.name} are different evals (${label(first.report)} vs ${label(r)})`);
    }
    for (const f of SAME) {
      const a = f.get(first.report);
      const b = f.get(r);
      if (a !== b) refuse(`${first.name} and ${x.name} (${label(r)}) differ in ${f.field}: ${shorten(a)} vs ${shorten(b)}`, 'every shard must run the same files with the same flags and config');
    }
    if (r.interrupted) refuse(`${x.name} (shard ${shardName(r)} of ${label(r)}) was interrupted: it holds only part of its cases`, 'run that shard again');
    if (r.budget_exhausted) refuse(`${x.name} (shard ${shardName(r)} of ${label(r)}) ran out of its --max-cost budget: it holds only part of its cases`, 'run that shard again with a larger --max-cost');
    if (r.stopped !== null) refuse(`${x.name} (shard ${shardName(r)} of ${label(r)}) stopped early: ${r.stopped}`, 'run that shard again');
  }
  const count = first.report.shard!.count;
  const total = first.report.shard!.total;
  const byIndex = new Map<number, MergeInput>();
  for (const x of inputs) {
    const i = x.report.shard!.index;
    const dup = byIndex.get(i);
    if (dup) refuse(`shard ${i}/${count} of ${label(x.report)} is given twice (${dup.name} and ${x.name})`);
    byIndex.set(i, x);
  }
  const missing: number[] = [];
  for (let i = 1; i <= count; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length) refuse(`${label(first.report)}: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`, 'pass every shard report of the run');

  const seen = new Map<string, MergeInput>();
  const indexes = new Set<number>();
  const all: ReportResult[] = [];
  const ordered = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, x]) => x);
  for (const x of ordered) {
    const s = x.report.shard!;
    for (const r of x.report.results) {
      const other = seen.get(r.name);
      if (other) refuse(`case "${r.name}" of ${label(x.report)} is in both ${other.name} (shard ${shardName(other.report)}) and ${x.name} (shard ${s.index}/${count})`);
      seen.set(r.name, x);
      const belongs = shardOf(r.name, count) + 1;
      if (belongs !== s.index) refuse(`case "${r.name}" is in ${x.name} (shard ${s.index}/${count}) but belongs to shard ${belongs}/${count}`, 'shards are assigned by uint64be(sha256(case name)[0..8]) mod n; run each shard with this promptrail');
      if (typeof r.index !== 'number' || indexes.has(r.index)) refuse(`case "${r.name}" in ${x.name} has ${typeof r.index === 'number' ? 'the suite position of another case' : 'no suite position ("index")'}`);
      indexes.add(r.index);
      all.push(r);
    }
  }
  if (all.length !== total) {
    refuse(`the shards of ${label(first.report)} hold ${all.length} case(s), but the suite applies ${total} to this version: ${total - all.length > 0 ? `${total - all.length} missing` : `${all.length - total} too many`}`);
  }
  all.sort((a, b) => a.index! - b.index!);
  const results = all.map((r) => {
    const { index: _index, ...rest } = r;
    return rest;
  });
  const reports = ordered.map((x) => x.report);
  const baseline = first.report.baseline
    ? { version: first.report.baseline.version, sha256: first.report.baseline.sha256, passed: sum(reports, (r) => r.baseline!.passed), cases: sum(reports, (r) => r.baseline!.cases) }
    : null;
  const costs = new Set(reports.map((r) => r.max_cost_usd));
  const header: ReportHeader = {
    prompt: first.report.prompt,
    version: first.report.version,
    sha256: first.report.sha256,
    ...(first.report.resolved_sha256 !== undefined ? { resolved_sha256: first.report.resolved_sha256 } : {}),
    ...(first.report.deps !== undefined ? { deps: first.report.deps } : {}),
    suite_sha256: first.report.suite_sha256,
    provider: first.report.provider,
    provider_type: first.report.provider_type,
    model: first.report.model,
    parameters: first.report.parameters,
    config_sha256: first.report.config_sha256,
    min_pass_rate: first.report.min_pass_rate,
    repeat: first.report.repeat,
    case_pass_rate: first.report.case_pass_rate,
    started_at: reports.map((r) => r.started_at).sort()[0]!,
    // the shards ran side by side: the merged run took as long as its slowest shard
    duration_ms: Math.max(...reports.map((r) => r.duration_ms)),
    interrupted: false,
    stopped: null,
    budget_exhausted: false,
    max_cost_usd: costs.size === 1 ? [...costs][0]! : null,
    shard: null,
    merged: { shards: count, inputs: ordered.map((x) => ({ shard: `${x.report.shard!.index}/${count}`, sha256: x.sha256, started_at: x.report.started_at, duration_ms: x.report.duration_ms })) },
  };
  const removed = [...new Set(reports.flatMap((r) => r.removed))].sort();
  return finishReport(header, results, baseline, removed);
}

function sum(xs: readonly EvalReport[], f: (r: EvalReport) => number): number {
  let t = 0;
  for (const x of xs) t += f(x);
  return t;
}

/**
 * Merges report files: their reports are grouped by prompt, version and provider, and each
 * group merged. One group of plain reports gives a plain report; anything else a run document.
 */
export function mergeFiles(files: readonly ReportFile[]): EvalReport | EvalRunDocument {
  const groups = new Map<string, MergeInput[]>();
  for (const f of files) {
    for (const r of reportsOf(f.doc)) {
      const key = `${r.prompt}\0${r.version}\0${r.provider}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push({ name: f.given, sha256: f.sha256, report: r });
    }
  }
  const merged = [...groups.values()].map(mergeShards);
  const docs = files.map((f) => f.doc).filter(isRunDocument);
  if (docs.length === 0 && merged.length === 1) return merged[0]!;
  const skipped = new Map<string, Skipped>();
  for (const d of docs) for (const s of d.skipped) skipped.set(`${s.prompt}\0${s.reason}`, s);
  const sels = new Set(docs.map((d) => JSON.stringify(d.selection ?? null)));
  const selection: Selection = sels.size === 1 && docs[0]?.selection ? docs[0].selection : { mode: 'files' };
  return makeDocument(merged, [...skipped.values()], {
    selection,
    started_at: merged.map((r) => r.started_at).sort()[0],
    duration_ms: Math.max(0, ...merged.map((r) => r.duration_ms)),
  });
}

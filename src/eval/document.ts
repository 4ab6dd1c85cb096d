/**
 * The eval run document: what `prompts eval` prints (--json) and writes (-o) when one
 * invocation evaluates several prompts or providers (`<ref>...`, `--all`, `--changed`,
 * `--provider a,b`): one report per prompt version and provider, and one summary. A single
 * `<ref>` on a single provider keeps printing the plain report (schemas/eval-report.schema.json
 * describes both). Reading report files back (report html / merge, promote --report) goes
 * through `readReportFile`, which checks them against that schema.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors.js';
import { sha256 } from '../registry/files.js';
import * as path from 'node:path';
import { reportValidator } from './report-schema.js';
import type { EvalReport } from './report.js';

export interface RunSummary {
  /** distinct prompt versions */
  prompts: number;
  reports: number;
  reports_ok: number;
  reports_failed: number;
  cases: number;
  passed: number;
  failed: number;
  errors: number;
  pass_rate: number;
  regressions: number;
  improvements: number;
  tokens: { input: number; output: number; total: number };
  cost_usd: number | null;
  started_at: string;
  duration_ms: number;
  interrupted: boolean;
  budget_exhausted: boolean;
  max_cost_usd: number | null;
}

export interface Skipped {
  prompt: string;
  reason: string;
}

export interface Selection {
  mode: 'refs' | 'all' | 'changed' | 'files';
  base?: { rev: string; commit: string };
}

export interface EvalRunDocument {
  kind: 'eval-run';
  ok: boolean;
  summary: RunSummary;
  reports: EvalReport[];
  skipped: Skipped[];
  selection?: Selection;
}

export function summarize(reports: readonly EvalReport[], o: { started_at?: string; duration_ms?: number; maxCostUsd?: number | null } = {}): RunSummary {
  const tokens = { input: 0, output: 0, total: 0 };
  let cost: number | null = 0;
  let cases = 0;
  let passed = 0;
  let errors = 0;
  let regressions = 0;
  let improvements = 0;
  let okCount = 0;
  const versions = new Set<string>();
  for (const r of reports) {
    versions.add(`${r.prompt}@${r.version}`);
    cases += r.cases;
    passed += r.passed;
    errors += r.errors;
    regressions += r.regressions.length;
    improvements += r.improvements.length;
    tokens.input += r.tokens.input;
    tokens.output += r.tokens.output;
    tokens.total += r.tokens.total;
    cost = cost === null || r.cost_usd === null ? null : cost + r.cost_usd;
    if (r.ok) okCount++;
  }
  const starts = reports.map((r) => r.started_at).sort();
  return {
    prompts: versions.size,
    reports: reports.length,
    reports_ok: okCount,
    reports_failed: reports.length - okCount,
    cases,
    passed,
    failed: cases - passed - errors,
    errors,
    pass_rate: cases === 0 ? 0 : Math.round((passed / cases) * 10000) / 10000,
    regressions,
    improvements,
    tokens,
    cost_usd: cost === null ? null : Math.round(cost * 1e8) / 1e8,
    started_at: o.started_at ?? starts[0] ?? new Date(0).toISOString(),
    duration_ms: o.duration_ms ?? Math.max(0, ...reports.map((r) => r.duration_ms)),
    interrupted: reports.some((r) => r.interrupted),
    budget_exhausted: reports.some((r) => r.budget_exhausted),
    max_cost_usd: o.maxCostUsd ?? reports.find((r) => r.max_cost_usd !== null)?.max_cost_usd ?? null,
  };
}

export function makeDocument(reports: EvalReport[], skipped: Skipped[], o: { selection?: Selection; started_at?: string; duration_ms?: number; maxCostUsd?: number | null } = {}): EvalRunDocument {
  const summary = summarize(reports, o);
  return {
    kind: 'eval-run',
    ok: reports.every((r) => r.ok) && !summary.budget_exhausted && !summary.interrupted,
    summary,
    reports,
    skipped,
    ...(o.selection ? { selection: o.selection } : {}),
  };
}

/**
 * Does `text` look like a report or run document this tool wrote (for `-o`: never replace
 * another file)? Only its head is read: a 10,000-case report is megabytes, and the keys that
 * identify it come first in what we write.
 */
export function looksLikeReportJson(text: string): boolean {
  const head = text.slice(0, 4096);
  return /^\s*\{/.test(head) && (/"suite_sha256":\s*"[0-9a-f]{64}"/.test(head) || /^\s*\{\s*"kind":\s*"eval-run"/.test(head));
}

export function isRunDocument(v: unknown): v is EvalRunDocument {
  return v !== null && typeof v === 'object' && (v as { kind?: unknown }).kind === 'eval-run';
}

/** The reports of a document (a plain report is a list of one). */
export function reportsOf(doc: EvalReport | EvalRunDocument): EvalReport[] {
  return isRunDocument(doc) ? doc.reports : [doc];
}

/** Reports written before a field existed get its neutral value, so readers need one shape. */
export function normalizeReport(r: EvalReport): EvalReport {
  const x = r as Partial<EvalReport> & EvalReport;
  x.config_sha256 ??= null;
  x.repeat ??= 1;
  x.case_pass_rate ??= 1;
  x.removed ??= [];
  x.new ??= x.baseline ? x.results.filter((c) => c.change === 'new').map((c) => c.name) : [];
  if (x.baseline && (x.baseline as Partial<typeof x.baseline>).common_cases === undefined) {
    // reports written before the common-case counts: the same counts from their results
    const common = x.results.filter((c) => c.change !== 'new' && c.baseline);
    x.baseline.common_cases = common.length;
    x.baseline.common_passed = common.filter((c) => c.pass).length;
    x.baseline.common_baseline_passed = common.filter((c) => c.baseline!.pass).length;
  }
  x.budget_exhausted ??= false;
  x.max_cost_usd ??= null;
  x.shard ??= null;
  x.merged ??= null;
  if (!x.latency) {
    const l = x.results.filter((c) => c.error === null).map((c) => c.latency_ms).sort((a, b) => a - b);
    const at = (p: number): number | null => (l.length ? l[Math.min(l.length, Math.max(1, Math.ceil((p / 100) * l.length))) - 1]! : null);
    x.latency = { p50_ms: at(50), p95_ms: at(95) };
  }
  return x;
}

/** Report files are CI artifacts and can be large (10,000 cases with outputs), but not unbounded. */
export const MAX_REPORT_BYTES = 512 * 1024 * 1024;

export interface ReportFile {
  /** what the user typed */
  given: string;
  file: string;
  /** sha256 of the file's bytes */
  sha256: string;
  doc: EvalReport | EvalRunDocument;
}

function shownPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/**
 * Reads an eval report or run document written by `prompts eval` / `prompts report merge`:
 * a regular file (no symlink, no device), at most 512 MiB, JSON, valid against the schema.
 * Anything else is a usage error (exit 2) naming the file and what is wrong.
 */
export async function readReportFile(cwd: string, given: string): Promise<ReportFile> {
  const file = given === '' ? '' : path.resolve(cwd, given);
  const shown = file ? shownPath(cwd, file) : given;
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    throw new UsageError(`report ${shown} does not exist`, { hint: 'pass the JSON written by "prompts eval -o <file>" or "prompts report merge"' });
  }
  if (st.isSymbolicLink()) throw new UsageError(`report ${shown} is a symbolic link; pass the file itself`);
  if (!st.isFile()) throw new UsageError(`report ${shown} is not a regular file`);
  if (st.size > MAX_REPORT_BYTES) throw new UsageError(`report ${shown} is ${st.size} bytes; reports are limited to ${MAX_REPORT_BYTES} bytes`);
  const bytes = fs.readFileSync(file);
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`report ${shown} is not JSON: ${(e as Error).message}`, { hint: 'pass the JSON report (-o of prompts eval), not the HTML or JUnit output' });
  }
  const v = await reportValidator(isRunDocument(value) ? 'run_document' : 'report');
  if (!v(value)) {
    const errs = v.errors ?? [];
    const first = errs.find((e) => e.instancePath !== '') ?? errs[0];
    throw new UsageError(`report ${shown} is not a promptrail eval report${first ? `: ${first.instancePath || '/'} ${first.message ?? ''}` : ''}`, {
      hint: 'pass the JSON written by "prompts eval -o <file>" or "prompts report merge"',
    });
  }
  const doc = value as EvalReport | EvalRunDocument;
  for (const r of reportsOf(doc)) normalizeReport(r);
  return { given, file, sha256: sha256(bytes), doc };
}

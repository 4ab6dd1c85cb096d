/**
 * The text report of `prompts eval`: a per-case table, failure details, and a summary line; for
 * several providers of one version, one column per provider; for several prompts, one section
 * each and a closing summary. Untrusted text (case names, replies, messages) has its control
 * characters escaped so it cannot rewrite the terminal.
 */
import type { ChalkInstance } from 'chalk';
import type { EvalReport, ReportResult } from '../../eval/report.js';
import type { EvalRunDocument } from '../../eval/document.js';

import { safeText } from '../../core/escape.js';

/** Control characters (ANSI escapes, \r, newlines, …) shown as escapes instead of acting on the terminal. */
export const termSafe = (s: string): string => safeText(s);

export function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${Math.round(ms)}ms`;
}
export function fmtCost(c: number | null): string {
  if (c === null) return '-';
  if (c === 0) return '$0';
  return c < 0.01 ? `$${c.toFixed(6)}` : `$${c.toFixed(4)}`;
}
export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function pad(s: string, n: number, right = false): string {
  const len = [...s].length;
  if (len >= n) return s;
  return right ? ' '.repeat(n - len) + s : s + ' '.repeat(n - len);
}

/** The one-line summary (also the last line of the table). */
export function summaryLine(r: EvalReport): string {
  const parts = [`${termSafe(`${r.prompt}@${r.version}`)}${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''} on ${termSafe(r.provider)}/${termSafe(r.model)}: ${r.passed}/${r.cases} passed (${pct(r.pass_rate)})`];
  if (r.failed) parts.push(`${r.failed} failed`);
  if (r.errors) parts.push(`${r.errors} error${r.errors === 1 ? '' : 's'}`);
  parts.push(fmtMs(r.duration_ms));
  if (r.tokens.total) parts.push(`${r.tokens.total} tokens`);
  if (r.cost_usd !== null && r.provider_type !== 'echo') parts.push(fmtCost(r.cost_usd));
  if ((r.repeat ?? 1) > 1) parts.push(`${r.repeat} runs per case, case_pass_rate ${r.case_pass_rate}`);
  return parts.join(', ');
}

function commonRate(passed: number, cases: number): number {
  return cases === 0 ? 0 : passed / cases;
}

/** The comparison with the baseline: the pass rates and delta over the cases both ran, then new and removed cases by name. */
export function baselineLine(r: EvalReport): string | null {
  if (!r.baseline) return null;
  const b = r.baseline;
  const d = b.delta * 100;
  const sign = d > 0 ? '+' : d < 0 ? '' : '±';
  const reg = r.regressions.length ? `${r.regressions.length} regression${r.regressions.length === 1 ? '' : 's'} (${r.regressions.map((n) => termSafe(JSON.stringify(n))).join(', ')})` : 'no regressions';
  const unknown = r.results.filter((x) => x.change === 'unknown');
  const failing = unknown.filter((x) => !x.pass).length;
  const unk = unknown.length
    ? `; ${unknown.length} not compared (the baseline errored${failing ? `; ${failing} of them fail now and may be regressions` : ''})`
    : '';
  const names = (xs: readonly string[]): string => xs.map((n) => termSafe(JSON.stringify(n))).join(', ');
  const fresh = r.new.length ? `; ${r.new.length} new (${names(r.new)})` : '';
  const gone = r.removed.length ? `; ${r.removed.length} removed (${names(r.removed)})` : '';
  return `vs ${b.version}: ${pct(commonRate(b.common_baseline_passed, b.common_cases))} -> ${pct(commonRate(b.common_passed, b.common_cases))} on the ${b.common_cases} case${b.common_cases === 1 ? '' : 's'} both ran (${sign}${d.toFixed(1)} pts); ${reg}, ${r.improvements.length} improvement${r.improvements.length === 1 ? '' : 's'}, ${r.unchanged} unchanged${unk}${fresh}${gone}`;
}

function statusOf(x: ReportResult): 'PASS' | 'FAIL' | 'ERROR' {
  return x.error !== null ? 'ERROR' : x.pass ? 'PASS' : 'FAIL';
}
function changeText(x: ReportResult): string {
  return x.change === 'regression' ? ' (regression)' : x.change === 'improvement' ? ' (improved)' : x.change === 'unknown' ? ' (baseline errored)' : '';
}
function runsText(x: ReportResult): string {
  return x.runs !== undefined ? ` [${x.runs_passed}/${x.runs} runs]` : '';
}
/** " (refused)", " (tool calls only)", " (empty reply)": a valid reply that is not text */
export function replyText(x: Pick<ReportResult, 'reply'>): string {
  return x.reply === 'refusal' ? ' (refused)' : x.reply === 'tool_calls' ? ' (tool calls only)' : x.reply === 'empty' ? ' (empty reply)' : '';
}
/** " [3 attempts]" when the case needed retries */
function attemptsText(x: ReportResult): string {
  return x.attempts !== undefined && x.attempts > (x.runs ?? 1) ? ` [${x.attempts} attempts]` : '';
}
/**
 * "retries: 4 requests retried in 2 cases (Retry-After waits: 2.0s)": what the table's numbers
 * cost in requests and waiting, so a slow or flaky provider is visible (null without retries).
 */
export function retriesLine(r: EvalReport): string | null {
  let retried = 0;
  let cases = 0;
  let waited = 0;
  for (const x of r.results) {
    const extra = (x.attempts ?? 0) - (x.runs ?? 1);
    if (x.attempts !== undefined && extra > 0) {
      retried += extra;
      cases++;
    }
    waited += x.retry_after_ms ?? 0;
  }
  if (retried === 0) return null;
  return `retries: ${retried} request${retried === 1 ? '' : 's'} retried in ${cases} case${cases === 1 ? '' : 's'}${waited > 0 ? ` (Retry-After waits: ${fmtMs(waited)})` : ''}`;
}
function colorStatus(c: ChalkInstance, st: string, width: number): string {
  const p = pad(st, width);
  return st.startsWith('PASS') ? c.green(p) : st.startsWith('FAIL') ? c.red(p) : st === '-' ? c.dim(p) : c.yellow(p);
}
function failureLines(x: ReportResult, prefix = ''): string[] {
  const out: string[] = [];
  if (x.error !== null) out.push(`        ${prefix}${termSafe(x.error)}`);
  for (const a of x.assertions) if (!a.pass) out.push(`        ${prefix}${termSafe(a.name ?? a.type)}: ${termSafe(a.message)}`);
  return out;
}

export function renderEvalText(r: EvalReport, c: ChalkInstance): string {
  const rows = r.results.map((x) => {
    return { status: statusOf(x), name: termSafe(x.name) + replyText(x) + changeText(x) + runsText(x) + attemptsText(x), latency: x.error !== null && x.latency_ms === 0 ? '-' : fmtMs(x.latency_ms) + (x.cached ? '*' : ''), tokens: x.tokens ? String(x.tokens.total) : '-', cost: fmtCost(x.cost_usd), x };
  });
  const wName = Math.min(60, Math.max(4, ...rows.map((x) => [...x.name].length)));
  const lines: string[] = [];
  lines.push(c.bold(`${pad('STATUS', 6)}  ${pad('CASE', wName)}  ${pad('LATENCY', 9, true)}  ${pad('TOKENS', 7, true)}  ${pad('COST', 10, true)}`));
  for (const row of rows) {
    const st = row.status === 'PASS' ? c.green(pad(row.status, 6)) : row.status === 'FAIL' ? c.red(pad(row.status, 6)) : c.yellow(pad(row.status, 6));
    const name = [...row.name].length > wName ? `${[...row.name].slice(0, wName - 1).join('')}…` : row.name;
    lines.push(`${st}  ${pad(name, wName)}  ${pad(row.latency, 9, true)}  ${pad(row.tokens, 7, true)}  ${pad(row.cost, 10, true)}`);
    for (const l of failureLines(row.x)) lines.push(c.dim(l));
  }
  lines.push('');
  if (r.results.some((x) => x.cached)) lines.push(c.dim('* response from the cache (.prompts/cache); latency as recorded'));
  lines.push(...notes(r, c));
  const rl = retriesLine(r);
  if (rl) lines.push(c.yellow(rl));
  const bl = baselineLine(r);
  if (bl) lines.push(r.regressions.length || r.results.some((x) => x.change === 'unknown' && !x.pass) ? c.red(bl) : bl);
  const sl = summaryLine(r);
  lines.push(r.ok ? c.green(sl) : c.red(sl));
  return `${lines.join('\n')}\n`;
}

/** The lines under a report's table: interrupted, stopped, budget, nothing applied, below the minimum. */
function notes(r: EvalReport, c: ChalkInstance): string[] {
  const lines: string[] = [];
  if (r.interrupted) lines.push(c.yellow(`interrupted: ${r.cases} case(s) finished before Ctrl-C; the report holds only those`));
  if (r.budget_exhausted) lines.push(c.red(`budget exhausted: --max-cost $${r.max_cost_usd}; ${r.cases} case(s) ran, the rest did not start`));
  else if (r.stopped) lines.push(c.red(`stopped: ${termSafe(r.stopped)}`));
  if (r.cases === 0 && !r.interrupted && !r.stopped && !r.shard) lines.push(c.red(`no case of the suite applies to ${termSafe(`${r.prompt}@${r.version}`)} (check the cases' versions: ranges)`));
  if (r.min_pass_rate !== null && r.pass_rate < r.min_pass_rate) lines.push(c.red(`pass rate ${pct(r.pass_rate)} is below the minimum ${pct(r.min_pass_rate)}`));
  return lines;
}

/**
 * Several providers on one version: a row per case, a column per provider (status, latency,
 * runs), the failures under each row tagged with their provider, then one summary per provider.
 */
export function renderMatrixText(reports: readonly EvalReport[], c: ChalkInstance): string {
  const names: string[] = [];
  const seen = new Set<string>();
  const byName = reports.map((r) => new Map(r.results.map((x) => [x.name, x])));
  for (const r of reports) {
    for (const x of r.results) {
      if (seen.has(x.name)) continue;
      seen.add(x.name);
      names.push(x.name);
    }
  }
  const heads = reports.map((r) => termSafe(`${r.provider}/${r.model}`));
  const cells = names.map((n) =>
    byName.map((m) => {
      const x = m.get(n);
      if (!x) return { text: '-', x };
      const lat = x.error !== null && x.latency_ms === 0 ? '' : ` ${fmtMs(x.latency_ms)}${x.cached ? '*' : ''}`;
      return { text: `${statusOf(x)}${lat}${x.runs !== undefined ? ` ${x.runs_passed}/${x.runs}` : ''}${x.change === 'regression' ? ' REGR' : x.change === 'improvement' ? ' IMPR' : ''}`, x };
    }),
  );
  const wName = Math.min(50, Math.max(4, ...names.map((n) => [...termSafe(n)].length)));
  const wCol = heads.map((h, j) => Math.min(40, Math.max([...h].length, ...cells.map((row) => row[j]!.text.length))));
  const lines: string[] = [];
  lines.push(c.bold(`${pad('CASE', wName)}  ${heads.map((h, j) => pad([...h].slice(0, wCol[j]).join(''), j === heads.length - 1 ? 0 : wCol[j]!)).join('  ')}`));
  names.forEach((n, i) => {
    const safe = termSafe(n);
    const name = [...safe].length > wName ? `${[...safe].slice(0, wName - 1).join('')}…` : safe;
    lines.push(`${pad(name, wName)}  ${cells[i]!.map((cell, j) => colorStatus(c, j === cells[i]!.length - 1 ? cell.text : pad(cell.text, wCol[j]!), 0)).join('  ')}`);
    cells[i]!.forEach((cell, j) => {
      if (cell.x && !cell.x.pass) for (const l of failureLines(cell.x, `[${heads[j]}] `)) lines.push(c.dim(l));
    });
  });
  lines.push('');
  if (reports.some((r) => r.results.some((x) => x.cached))) lines.push(c.dim('* response from the cache (.prompts/cache); latency as recorded'));
  for (const r of reports) {
    lines.push(...notes(r, c));
    const rl = retriesLine(r);
    if (rl) lines.push(c.yellow(`${termSafe(r.provider)}: ${rl}`));
    const bl = baselineLine(r);
    if (bl) lines.push(`${termSafe(r.provider)}: ${r.regressions.length ? c.red(bl) : bl}`);
    const sl = summaryLine(r);
    lines.push(r.ok ? c.green(sl) : c.red(sl));
  }
  return `${lines.join('\n')}\n`;
}

/** Reports grouped by prompt version, in order of appearance. */
export function byVersion(reports: readonly EvalReport[]): EvalReport[][] {
  const groups = new Map<string, EvalReport[]>();
  for (const r of reports) {
    const k = `${r.prompt}@${r.version}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  return [...groups.values()];
}

/** The closing line of a run document. */
export function documentSummaryLine(d: EvalRunDocument): string {
  const s = d.summary;
  const parts = [`${s.prompts} prompt version${s.prompts === 1 ? '' : 's'}, ${s.reports} report${s.reports === 1 ? '' : 's'}: ${s.reports_ok} ok, ${s.reports_failed} failed`];
  parts.push(`${s.passed}/${s.cases} cases passed (${pct(s.pass_rate)})`);
  if (s.regressions) parts.push(`${s.regressions} regression${s.regressions === 1 ? '' : 's'}`);
  parts.push(fmtMs(s.duration_ms));
  if (s.cost_usd !== null && s.cost_usd > 0) parts.push(fmtCost(s.cost_usd));
  if (s.budget_exhausted) parts.push(`budget of $${s.max_cost_usd} exhausted`);
  return parts.join(', ');
}

/** A run document: a section per prompt version (a table, or a matrix of providers), then the summary. */
export function renderDocumentText(d: EvalRunDocument, c: ChalkInstance, o: { compact?: boolean } = {}): string {
  const out: string[] = [];
  if (d.selection?.mode === 'changed' && d.selection.base) out.push(c.dim(`changed since ${termSafe(d.selection.base.rev)} (${termSafe(d.selection.base.commit.slice(0, 12))})`));
  for (const g of byVersion(d.reports)) {
    if (o.compact) {
      for (const r of g) out.push(r.ok ? c.green(summaryLine(r)) : c.red(summaryLine(r)));
      continue;
    }
    out.push(c.bold(`== ${termSafe(`${g[0]!.prompt}@${g[0]!.version}`)}${g.length > 1 ? ` on ${g.length} providers` : ''}`));
    out.push((g.length > 1 ? renderMatrixText(g, c) : renderEvalText(g[0]!, c)).replace(/\n$/, ''));
    out.push('');
  }
  for (const s of d.skipped) out.push(c.dim(`skipped ${termSafe(s.prompt)}: ${termSafe(s.reason)}`));
  if (d.reports.length === 0) out.push(d.selection?.mode === 'changed' ? 'no prompt changed: nothing to evaluate' : 'nothing to evaluate');
  const line = documentSummaryLine(d);
  out.push(d.ok ? c.green(line) : c.red(line));
  return `${out.join('\n')}\n`;
}

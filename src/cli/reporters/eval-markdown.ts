/**
 * The markdown summary `prompts eval` and `prompts report html` append to $GITHUB_STEP_SUMMARY
 * under GitHub Actions: the verdict, where the HTML report is (the artifact's name and this
 * run's artifacts page), regressions first, then the other failing cases, then passing ones.
 * Every string a pull request controls (case names, replies, messages, provider and model
 * names) goes through `mdText`, so it cannot add markup, links, images or HTML to the summary.
 */
import type { EvalReport, ReportResult } from '../../eval/report.js';
import type { EvalRunDocument } from '../../eval/document.js';
import { isRunDocument } from '../../eval/document.js';
import { byVersion, fmtCost, fmtMs, pct } from './eval-text.js';
import { markdownText } from '../../core/escape.js';

/**
 * Text for a markdown table cell or line: no control characters or line breaks, HTML
 * special characters as entities, and markdown punctuation backslash-escaped.
 */
export const mdText = (s: string): string => markdownText(s);

/** Cut to `max` characters (before escaping, so an escape is never cut in half). */
function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export interface ArtifactLink {
  /** the artifact's name, as the workflow uploads it */
  name: string;
  /** this run's page, when the GitHub environment variables are present and well-formed */
  url?: string;
}

/** The run's artifacts page from GITHUB_SERVER_URL / GITHUB_REPOSITORY / GITHUB_RUN_ID, checked. */
export function artifactLink(name: string, env: NodeJS.ProcessEnv): ArtifactLink {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = env.GITHUB_REPOSITORY;
  const run = env.GITHUB_RUN_ID;
  const ok = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(server) && repo !== undefined && /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo) && run !== undefined && /^\d{1,20}$/.test(run);
  return ok ? { name, url: `${server}/${repo}/actions/runs/${run}#artifacts` } : { name };
}

function artifactLine(a: ArtifactLink | undefined): string[] {
  if (!a) return [];
  const where = a.url ? ` — download it from [this run's artifacts](${a.url})` : '';
  return ['', `📄 HTML report: artifact **${mdText(a.name)}**${where}`];
}

function status(x: ReportResult): string {
  return x.error !== null ? '⚠️ error' : x.pass ? '✅ pass' : '❌ fail';
}

function detail(x: ReportResult): string {
  const d = x.error ?? x.assertions.filter((a) => !a.pass).map((a) => `${a.name ?? a.type}: ${a.message}`).join('; ');
  return mdText(cut(d, 300));
}

function runs(x: ReportResult): string {
  return x.runs !== undefined ? ` (${x.runs_passed}/${x.runs} runs)` : '';
}

/** Regressions, then other failures, then the rest; stable within each group. */
function ordered(results: readonly ReportResult[]): ReportResult[] {
  const rank = (x: ReportResult): number => (x.change === 'regression' ? 0 : !x.pass ? 1 : 2);
  return [...results].map((x, i) => ({ x, i })).sort((a, b) => rank(a.x) - rank(b.x) || a.i - b.i).map((e) => e.x);
}

function baselineText(r: EvalReport): string | null {
  if (!r.baseline) return null;
  const d = r.baseline.delta * 100;
  const b = r.baseline;
  const on = (passed: number): string => pct(b.common_cases === 0 ? 0 : passed / b.common_cases);
  return `vs ${b.version}: ${on(b.common_baseline_passed)} → ${on(b.common_passed)} on the ${b.common_cases} case${b.common_cases === 1 ? '' : 's'} both ran (${d > 0 ? '+' : d < 0 ? '' : '±'}${d.toFixed(1)} pts) · ${r.regressions.length} regression${r.regressions.length === 1 ? '' : 's'} · ${r.improvements.length} improvement${r.improvements.length === 1 ? '' : 's'}${r.new.length ? ` · ${r.new.length} new` : ''}${r.removed.length ? ` · ${r.removed.length} removed` : ''}`;
}

function caseTable(r: EvalReport, maxRows: number): string[] {
  const lines: string[] = [];
  const shown = ordered(r.results).slice(0, maxRows);
  lines.push('| status | case | latency | tokens | cost | details |', '|---|---|---:|---:|---:|---|');
  for (const x of shown) {
    const change = x.change === 'regression' ? ' **(regression)**' : x.change === 'improvement' ? ' (improved)' : x.change === 'unknown' ? ' (baseline errored)' : '';
    lines.push(`| ${status(x)} | ${mdText(cut(x.name, 200))}${change}${runs(x)} | ${fmtMs(x.latency_ms)} | ${x.tokens?.total ?? '-'} | ${fmtCost(x.cost_usd)} | ${detail(x)} |`);
  }
  if (r.results.length > shown.length) lines.push('', `…and ${r.results.length - shown.length} more case(s)${r.results.slice(maxRows).some((x) => !x.pass) ? '' : ', all passing'}.`);
  return lines;
}

/** One report: heading with the verdict, provider line, baseline, case table (regressions first). */
export function renderEvalMarkdown(r: EvalReport, o: { maxRows?: number; artifact?: ArtifactLink } = {}): string {
  const icon = r.ok ? '✅' : '❌';
  const lines: string[] = [];
  lines.push(`### ${icon} Eval \`${r.prompt}@${r.version}\`${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''} — ${r.passed}/${r.cases} passed (${pct(r.pass_rate)})`);
  lines.push(...artifactLine(o.artifact));
  lines.push('', `Provider ${mdText(r.provider)} · model ${mdText(r.model)} · ${fmtMs(r.duration_ms)} · ${r.tokens.total} tokens · ${fmtCost(r.cost_usd)}${r.latency.p95_ms !== null ? ` · p50 ${fmtMs(r.latency.p50_ms ?? 0)} · p95 ${fmtMs(r.latency.p95_ms)}` : ''}${(r.repeat ?? 1) > 1 ? ` · ${r.repeat} runs per case (case_pass_rate ${r.case_pass_rate})` : ''}`);
  const bl = baselineText(r);
  if (bl) lines.push('', `**${bl}**`);
  if (r.budget_exhausted) lines.push('', `> budget exhausted: --max-cost $${r.max_cost_usd}; cases after it did not run`);
  else if (r.stopped) lines.push('', `> stopped: ${mdText(r.stopped)}`);
  if (r.interrupted) lines.push('', '> interrupted: partial results');
  lines.push('', ...caseTable(r, o.maxRows ?? 50));
  return `${lines.join('\n')}\n\n`;
}

/** Several reports: overall verdict, artifact, every regression, one row per report, failing cases. */
export function renderDocumentMarkdown(d: EvalRunDocument, o: { maxRows?: number; artifact?: ArtifactLink } = {}): string {
  const s = d.summary;
  const lines: string[] = [];
  lines.push(`### ${d.ok ? '✅' : '❌'} Eval — ${s.prompts} prompt version${s.prompts === 1 ? '' : 's'}, ${s.reports} report${s.reports === 1 ? '' : 's'}: ${s.reports_ok} ok, ${s.reports_failed} failed · ${s.passed}/${s.cases} cases passed (${pct(s.pass_rate)})`);
  lines.push(...artifactLine(o.artifact));
  const meta = [`${fmtMs(s.duration_ms)}`, `${s.tokens.total} tokens`, fmtCost(s.cost_usd)];
  if (d.selection?.base) meta.unshift(`changed since ${mdText(d.selection.base.rev)} (${d.selection.base.commit.slice(0, 12)})`);
  lines.push('', meta.join(' · '));
  if (s.budget_exhausted) lines.push('', `> budget exhausted: --max-cost $${s.max_cost_usd}; cases after it did not run`);
  const regs = d.reports.flatMap((r) => r.results.filter((x) => x.change === 'regression').map((x) => ({ r, x })));
  if (regs.length) {
    lines.push('', `#### Regressions (${regs.length})`, '', '| prompt | provider | case | details |', '|---|---|---|---|');
    for (const { r, x } of regs.slice(0, o.maxRows ?? 50)) lines.push(`| \`${r.prompt}@${r.version}\` | ${mdText(r.provider)} | ${mdText(cut(x.name, 200))}${runs(x)} | ${detail(x)} |`);
    if (regs.length > (o.maxRows ?? 50)) lines.push('', `…and ${regs.length - (o.maxRows ?? 50)} more regression(s).`);
  }
  lines.push('', '| status | prompt | provider / model | passed | pass rate | vs baseline | cost | p95 |', '|---|---|---|---:|---:|---|---:|---:|');
  for (const g of byVersion(d.reports)) {
    for (const r of g) {
      const vs = r.baseline ? `${r.baseline.version}: ${r.baseline.delta >= 0 ? '+' : ''}${(r.baseline.delta * 100).toFixed(1)} pts, ${r.regressions.length} regr.` : '-';
      lines.push(`| ${r.ok ? '✅' : '❌'} | \`${r.prompt}@${r.version}\`${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''} | ${mdText(`${r.provider} / ${r.model}`)} | ${r.passed}/${r.cases} | ${pct(r.pass_rate)} | ${vs} | ${fmtCost(r.cost_usd)} | ${r.latency.p95_ms === null ? '-' : fmtMs(r.latency.p95_ms)} |`);
    }
  }
  const failing = d.reports.flatMap((r) => r.results.filter((x) => !x.pass && x.change !== 'regression').map((x) => ({ r, x })));
  if (failing.length) {
    const max = o.maxRows ?? 50;
    lines.push('', `#### Other failing cases (${failing.length})`, '', '| status | prompt | provider | case | details |', '|---|---|---|---|---|');
    for (const { r, x } of failing.slice(0, max)) lines.push(`| ${status(x)} | \`${r.prompt}@${r.version}\` | ${mdText(r.provider)} | ${mdText(cut(x.name, 200))}${runs(x)} | ${detail(x)} |`);
    if (failing.length > max) lines.push('', `…and ${failing.length - max} more.`);
  }
  for (const sk of d.skipped) lines.push('', `skipped \`${sk.prompt}\`: ${mdText(sk.reason)}`);
  return `${lines.join('\n')}\n\n`;
}

export function renderMarkdown(doc: EvalReport | EvalRunDocument, o: { maxRows?: number; artifact?: ArtifactLink } = {}): string {
  return isRunDocument(doc) ? renderDocumentMarkdown(doc, o) : renderEvalMarkdown(doc, o);
}

/** The markdown summary `prompts eval` appends to $GITHUB_STEP_SUMMARY under GitHub Actions. */
import type { EvalReport } from '../../eval/report.js';
import { baselineLine, fmtCost, fmtMs, pct } from './eval-text.js';

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function renderEvalMarkdown(r: EvalReport, maxRows = 50): string {
  const icon = r.ok ? '✅' : '❌';
  const lines: string[] = [];
  lines.push(`### ${icon} Eval \`${r.prompt}@${r.version}\` — ${r.passed}/${r.cases} passed (${pct(r.pass_rate)})`);
  lines.push('');
  lines.push(`Provider \`${r.provider}\` · model \`${r.model}\` · ${fmtMs(r.duration_ms)} · ${r.tokens.total} tokens · ${fmtCost(r.cost_usd)}`);
  const bl = baselineLine(r);
  if (bl) lines.push('', `**${bl}**`);
  if (r.stopped) lines.push('', `> stopped: ${cell(r.stopped)}`);
  if (r.interrupted) lines.push('', '> interrupted: partial results');
  const shown = [...r.results.filter((x) => !x.pass), ...r.results.filter((x) => x.pass)].slice(0, maxRows);
  lines.push('', '| status | case | latency | tokens | cost | details |', '|---|---|---:|---:|---:|---|');
  for (const x of shown) {
    const st = x.error !== null ? '⚠️ error' : x.pass ? '✅ pass' : '❌ fail';
    const detail = x.error ?? x.assertions.filter((a) => !a.pass).map((a) => `${a.name ?? a.type}: ${a.message}`).join('; ');
    const change = x.change === 'regression' ? ' **(regression)**' : x.change === 'improvement' ? ' (improved)' : x.change === 'unknown' ? ' (baseline errored)' : '';
    lines.push(`| ${st} | ${cell(x.name)}${change} | ${fmtMs(x.latency_ms)} | ${x.tokens?.total ?? '-'} | ${fmtCost(x.cost_usd)} | ${cell(detail).slice(0, 300)} |`);
  }
  if (r.results.length > shown.length) lines.push('', `…and ${r.results.length - shown.length} more passing case(s).`);
  return `${lines.join('\n')}\n\n`;
}

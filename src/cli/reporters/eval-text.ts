/** The text report of `prompts eval`: a per-case table, failure details, and a summary line. */
import type { ChalkInstance } from 'chalk';
import type { EvalReport } from '../../eval/report.js';

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
  const parts = [`${r.prompt}@${r.version} on ${r.provider}/${r.model}: ${r.passed}/${r.cases} passed (${pct(r.pass_rate)})`];
  if (r.failed) parts.push(`${r.failed} failed`);
  if (r.errors) parts.push(`${r.errors} error${r.errors === 1 ? '' : 's'}`);
  parts.push(fmtMs(r.duration_ms));
  if (r.tokens.total) parts.push(`${r.tokens.total} tokens`);
  if (r.cost_usd !== null && r.provider_type !== 'echo') parts.push(fmtCost(r.cost_usd));
  return parts.join(', ');
}

export function baselineLine(r: EvalReport): string | null {
  if (!r.baseline) return null;
  const b = r.baseline;
  const d = b.delta * 100;
  const sign = d > 0 ? '+' : d < 0 ? '' : '±';
  const reg = r.regressions.length ? `${r.regressions.length} regression${r.regressions.length === 1 ? '' : 's'} (${r.regressions.map((n) => JSON.stringify(n)).join(', ')})` : 'no regressions';
  const unknown = r.results.filter((x) => x.change === 'unknown');
  const failing = unknown.filter((x) => !x.pass).length;
  const unk = unknown.length
    ? `; ${unknown.length} not compared (the baseline errored${failing ? `; ${failing} of them fail now and may be regressions` : ''})`
    : '';
  return `vs ${b.version}: ${pct(b.pass_rate)} -> ${pct(r.pass_rate)} (${sign}${d.toFixed(1)} pts); ${reg}, ${r.improvements.length} improvement${r.improvements.length === 1 ? '' : 's'}, ${r.unchanged} unchanged${unk}`;
}

export function renderEvalText(r: EvalReport, c: ChalkInstance): string {
  const rows = r.results.map((x) => {
    const status = x.error !== null ? 'ERROR' : x.pass ? 'PASS' : 'FAIL';
    const change = x.change === 'regression' ? ' (regression)' : x.change === 'improvement' ? ' (improved)' : x.change === 'unknown' ? ' (baseline errored)' : '';
    return { status, name: x.name + change, latency: x.error !== null && x.latency_ms === 0 ? '-' : fmtMs(x.latency_ms) + (x.cached ? '*' : ''), tokens: x.tokens ? String(x.tokens.total) : '-', cost: fmtCost(x.cost_usd), x };
  });
  const wName = Math.min(60, Math.max(4, ...rows.map((x) => [...x.name].length)));
  const lines: string[] = [];
  lines.push(c.bold(`${pad('STATUS', 6)}  ${pad('CASE', wName)}  ${pad('LATENCY', 9, true)}  ${pad('TOKENS', 7, true)}  ${pad('COST', 10, true)}`));
  for (const row of rows) {
    const st = row.status === 'PASS' ? c.green(pad(row.status, 6)) : row.status === 'FAIL' ? c.red(pad(row.status, 6)) : c.yellow(pad(row.status, 6));
    const name = [...row.name].length > wName ? `${[...row.name].slice(0, wName - 1).join('')}…` : row.name;
    lines.push(`${st}  ${pad(name, wName)}  ${pad(row.latency, 9, true)}  ${pad(row.tokens, 7, true)}  ${pad(row.cost, 10, true)}`);
    if (row.x.error !== null) lines.push(c.dim(`        ${row.x.error}`));
    for (const a of row.x.assertions) if (!a.pass) lines.push(c.dim(`        ${a.name ?? a.type}: ${a.message}`));
  }
  lines.push('');
  if (r.results.some((x) => x.cached)) lines.push(c.dim('* response from the cache (.prompts/cache); latency as recorded'));
  if (r.interrupted) lines.push(c.yellow(`interrupted: ${r.cases} case(s) finished before Ctrl-C; the report holds only those`));
  if (r.stopped) lines.push(c.red(`stopped: ${r.stopped}`));
  if (r.cases === 0 && !r.interrupted && !r.stopped) lines.push(c.red(`no case of the suite applies to ${r.prompt}@${r.version} (check the cases' versions: ranges)`));
  if (r.min_pass_rate !== null && r.pass_rate < r.min_pass_rate) lines.push(c.red(`pass rate ${pct(r.pass_rate)} is below the minimum ${pct(r.min_pass_rate)}`));
  const bl = baselineLine(r);
  if (bl) lines.push(r.regressions.length || r.results.some((x) => x.change === 'unknown' && !x.pass) ? c.red(bl) : bl);
  const sl = summaryLine(r);
  lines.push(r.ok ? c.green(sl) : c.red(sl));
  return `${lines.join('\n')}\n`;
}

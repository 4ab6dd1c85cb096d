/** `rollout check` as text: the verdict, the two arms' numbers side by side, each criterion. Data in, string out. */
import { ARM_METRICS, num, type CheckResult } from '../../core/rollout-check.js';
import { safeText as t } from '../../core/escape.js';

export function renderCheckText(r: CheckResult): string {
  const lines: string[] = [];
  lines.push(`rollout check ${t(r.id)} in ${t(r.env)}: ${t(r.stable)} (stable) vs ${t(r.candidate)} (candidate, ${r.weight}%), last ${t(r.window)}, from ${t(r.source)}`);
  const rows = [['metric', 'stable', 'candidate', 'delta', 'delta %'], ...ARM_METRICS.map((m) => [m, num(r.arms.stable[m]), num(r.arms.candidate[m]), sign(r.deltas[`${m}_delta`]), pct(r.deltas[`${m}_delta_pct`])])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push(`  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`);
  lines.push(`  min_requests ${r.min_requests.required} per arm: ${r.min_requests.met ? 'met' : 'NOT met'}`);
  lines.push(`  min_stage_duration ${r.min_stage_duration.required ?? 'none'}: ${Math.floor(r.min_stage_duration.elapsed_s / 60)} min at ${r.weight}% since ${t(r.min_stage_duration.since)}${r.min_stage_duration.met ? '' : ' (NOT reached)'}`);
  for (const c of r.criteria) lines.push(`  ${c.kind} ${c.metric} ${c.condition}: ${num(c.actual)} -> ${c.holds === null ? 'cannot be computed' : c.holds ? 'holds' : 'does not hold'}`);
  lines.push(`verdict: ${r.verdict}${r.to !== null && r.verdict !== 'hold' ? ` (${r.weight}% -> ${r.to}%)` : ''}`);
  for (const why of r.reasons) lines.push(`  ${t(why)}`);
  return `${lines.join('\n')}\n`;
}

function sign(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x > 0 ? '+' : ''}${num(x)}`;
}

function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  return `${x > 0 ? '+' : ''}${x.toFixed(Math.abs(x) >= 100 ? 0 : 1)}%`;
}

/** The verdict's numbers as commit-body trailers (what `--apply` records). */
export function checkTrailers(r: CheckResult): string[] {
  const arm = (a: CheckResult['arms']['stable']): string =>
    ARM_METRICS.filter((m) => a[m] !== null)
      .map((m) => `${m} ${num(a[m])}`)
      .join(', ');
  return [`Check: ${r.verdict} (${r.source}, last ${r.window})`, `Check-Stable: ${r.stable}: ${arm(r.arms.stable) || 'no data'}`, `Check-Candidate: ${r.candidate}: ${arm(r.arms.candidate) || 'no data'}`];
}

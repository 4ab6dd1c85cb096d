/** `history` as text: one block per event, newest first. */
import type { ChalkInstance } from 'chalk';
import type { HistoryRow } from '../../core/history.js';
import { evalLine } from '../../core/env-text.js';
import { safeText as t } from '../../core/escape.js';

/** `shallow`: the repository is a shallow clone, so a missing commit may just not be fetched. */
export function renderHistoryText(id: string, rows: HistoryRow[], c: ChalkInstance, opts: { shallow?: boolean } = {}): string {
  const noCommit = opts.shallow ? '  (no commit in this shallow clone)' : '  (no commit)';
  if (rows.length === 0) return `${t(id)} has no promotion history yet\n`;
  const out: string[] = [];
  for (const r of rows) {
    const when = t(r.at).replace('T', ' ').replace(/(\.\d+)?(Z|[+-]\d\d:\d\d)$/, (_m, _ms, tz: string) => (tz === 'Z' ? 'Z' : ` ${tz}`));
    const weights = r.weight !== null ? `  ${r.fromWeight ?? '?'}% -> ${r.weight}%` : '';
    const change = `${t(r.from ?? 'none')} -> ${t(r.to)}${weights}`;
    const color = r.action === 'rollback' || r.action === 'rollout-abort' ? c.yellow : r.action === 'promote' || r.action === 'rollout-complete' ? c.green : c.cyan;
    const head = `${c.bold(when)}  ${t(r.env)}  ${color(t(r.action))}  ${change}`;
    out.push(`${head}${r.commit ? `  ${c.cyan(t(r.commit.hash.slice(0, 12)))}` : c.dim(noCommit)}`);
    out.push(`    by ${t(r.by)}`);
    if (r.reason) out.push(`    reason: ${t(r.reason)}`);
    const ev = r.skipEval ? 'skipped (--skip-eval)' : (evalLine(r.eval) ?? r.evalText);
    if (ev) out.push(`    eval: ${t(ev)}`);
  }
  return `${out.join('\n')}\n`;
}

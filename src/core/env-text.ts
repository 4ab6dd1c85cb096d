/**
 * The words of an environment change that outlive the command: commit subjects (parsed back by
 * git/log.ts for `prompts history`), commit bodies as git trailers, and the one-line eval and
 * gate summaries shared by commits, messages and reporters.
 */
import type { DepsMap, EvalSummary, GateConfig } from './types.js';

export function evalLine(e: EvalSummary | undefined | null): string | null {
  if (!e) return null;
  const parts = [`pass rate ${e.pass_rate} (${e.passed}/${e.cases} cases)`];
  if (e.regressions !== undefined) parts.push(`${e.regressions} regression${e.regressions === 1 ? '' : 's'}`);
  if (e.provider) parts.push(`provider ${e.provider}`);
  if (e.model) parts.push(`model ${e.model}`);
  if (e.suite_sha256) parts.push(`suite ${e.suite_sha256.slice(0, 12)}`);
  if (e.report_sha256) parts.push(`evidence: report ${e.report_sha256.slice(0, 12)}${e.shards ? ` (${e.shards} shards merged)` : ''}`);
  return parts.join(', ');
}

/** "min_pass_rate 0.8, no_regressions" (null: no gate). */
export function gateText(g: GateConfig | null | undefined): string | null {
  if (!g) return null;
  const parts: string[] = [];
  if (g.min_pass_rate !== undefined) parts.push(`min_pass_rate ${g.min_pass_rate}`);
  if (g.no_regressions) parts.push('no_regressions');
  if (g.provider) parts.push(`provider ${g.provider}`);
  return parts.join(', ') || 'configured';
}

/** `prompts(<env>): <action> <id> <from> -> <to>` (SPEC §4). */
export function commitSubject(action: 'promote' | 'rollback', env: string, id: string, from: string | null, to: string): string {
  return `prompts(${env}): ${action} ${id} ${from ?? 'none'} -> ${to}`;
}

/** `prompts(<env>): rollout <id> <stable> -> <candidate> <old>% -> <new>%` (SPEC §12). */
export function rolloutSubject(env: string, id: string, stable: string, candidate: string, oldWeight: number, newWeight: number): string {
  return `prompts(${env}): rollout ${id} ${stable} -> ${candidate} ${oldWeight}% -> ${newWeight}%`;
}

/** Body lines as git trailers, so `prompts history` (and humans) can read them back. */
export function commitBody(o: {
  reason?: string | null;
  eval?: EvalSummary | null;
  skipEval?: boolean;
  id: string;
  version: string;
  sha256: string;
  gate?: string | null;
  /** a rollout step: `Rollout: start|set|abort|complete` (what `prompts history` reads back) */
  rollout?: string;
  /** more trailers, e.g. the numbers `rollout check` decided by */
  extra?: string[];
  /** the pinned version's deps: one `Dep:` trailer each */
  deps?: DepsMap;
}): string {
  const lines: string[] = [];
  if (o.reason) lines.push(`Reason: ${o.reason.replace(/\s*\n\s*/g, ' ')}`);
  if (o.rollout) lines.push(`Rollout: ${o.rollout}`);
  const ev = evalLine(o.eval);
  if (o.skipEval) lines.push(`Eval: skipped (--skip-eval)${o.gate ? `; gate ${o.gate} not run` : ''}`);
  else if (ev) lines.push(`Eval: ${ev}`);
  lines.push(`Prompt: ${o.id}`, `Version: ${o.version}`, `Sha256: ${o.sha256}`);
  for (const x of o.extra ?? []) lines.push(x.replace(/\s*\n\s*/g, ' '));
  // one trailer per file of the closure: what the pin's deps record
  for (const [k, s] of Object.entries(o.deps ?? {})) lines.push(`Dep: ${k} ${s}`);
  return lines.join('\n');
}

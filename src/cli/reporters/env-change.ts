/**
 * One renderer for every env-changing command (promote, rollback, and what comes next): the
 * dry run and the result, as text and as the --json document, all made from the EnvChangePlan
 * (plus what git will do / did). Data in, string or object out.
 */
import type { EnvChangePlan, NoChange } from '../../core/env-change.js';
import { safeText as t } from '../../core/escape.js';

/** What the apply step will do with git (dry run) or did (result). */
export interface GitWill {
  /** a commit is (or was to be) made */
  commit: boolean;
  /** --push was asked for */
  push: boolean;
}

export interface Applied {
  commit: string | null;
  pushed: boolean;
}

const arrow = (p: EnvChangePlan): string => (p.words.what !== undefined ? t(p.words.what) : `${t(p.id)} ${t(p.from ?? 'none')} -> ${t(p.to)} in ${t(p.env)}`);
const line = (label: string, value: string): string => `  ${`${label}:`.padEnd(Math.max(8, label.length + 2))}${t(value)}`;

export function dryRunDocument(p: EnvChangePlan, g: GitWill): Record<string, unknown> {
  return { ok: true, dryRun: true, action: p.action, id: p.id, env: p.env, from: p.from, to: p.to, ...p.json.plan, reason: p.reason, file: p.file, commit: g.commit, push: g.push };
}

export function renderDryRun(p: EnvChangePlan, g: GitWill): string {
  const lines = [`${p.words.would} ${arrow(p)}${p.words.note ?? ''}`, ...p.preview.map(([label, value]) => line(label, value)), line('commit', g.commit ? `yes${g.push ? ', then push' : ''}` : 'no')];
  if (p.reason) lines.push(line('reason', p.reason));
  return `${lines.join('\n')}\n(dry run: nothing written)\n`;
}

export function appliedDocument(p: EnvChangePlan, r: Applied): Record<string, unknown> {
  return { ok: true, action: p.action, id: p.id, env: p.env, from: p.from, to: p.to, ...p.json.result, reason: p.reason, file: p.file, commit: r.commit, pushed: r.pushed };
}

/** `inGit`: the registry is in a work tree and a commit was asked for (else "(no commit)" is said). */
export function renderApplied(p: EnvChangePlan, r: Applied, inGit: boolean): string {
  const where = r.commit ? ` (commit ${r.commit.slice(0, 12)}${r.pushed ? ', pushed' : ''})` : inGit ? '' : ' (no commit)';
  return `${p.words.done} ${arrow(p)}${p.words.doneNote ?? ''}${where}\n`;
}

export function noChangeDocument(n: NoChange): Record<string, unknown> {
  return { ok: true, action: 'none', id: n.id, env: n.env, version: n.version, message: n.message };
}

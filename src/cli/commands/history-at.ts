/**
 * `prompts history [<id>] --env <env> --at <date|rev>` (SPEC §15): every pin of the environment
 * as of that moment, read from the env file's git history: who, when, why, the eval evidence, the
 * approvals and the commit behind each. A date (YYYY-MM-DD: the end of that day, UTC; or an ISO
 * date-time) means the newest commit at or before it; anything else is a git revision.
 */
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { CheckFailed, UsageError } from '../../errors.js';
import type { Registry } from '../../registry/registry.js';
import { parseEnvText } from '../../registry/env-store.js';
import { pinsAsOf, type PinAsOf } from '../../core/audit.js';
import { evalLine } from '../../core/env-text.js';
import { termSafe } from '../reporters/eval-text.js';
import { topRel } from '../approval-facts.js';

const DATE = /^\d{4}-\d\d-\d\d$/;
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?$/;

/** A date-only --at is the end of that day (UTC); a date-time without zone is UTC. */
export function atInstant(at: string): string | null {
  if (DATE.test(at)) return Number.isNaN(Date.parse(`${at}T23:59:59Z`)) ? null : `${at}T23:59:59Z`;
  if (DATE_TIME.test(at)) {
    const iso = /(Z|[+-]\d\d:\d\d)$/.test(at) ? at : `${at}Z`;
    return Number.isNaN(Date.parse(iso)) ? null : new Date(Date.parse(iso)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return null;
}

export async function runAt(ctx: CommandContext, registry: Registry, env: string, at: string, id: string | undefined): Promise<number> {
  const audit = await import('../../git/audit.js');
  const { gitTopLevel } = await import('../../git/repo.js');
  const top = await gitTopLevel(registry.root);
  if (!top) throw new UsageError('--at reads the environment file\'s git history, and the registry is not in a git repository');
  const instant = atInstant(at);
  let commit: string | null;
  if (instant) commit = await audit.commitAtDate(top, instant);
  else {
    commit = await audit.resolveCommit(top, at);
    if (!commit) throw new UsageError(`--at "${termSafe(at)}" is neither a date (YYYY-MM-DD or an ISO date-time) nor a git revision`, { hint: 'e.g. --at 2026-11-22, --at 2026-11-22T10:00:00Z, --at HEAD~3, --at v1.2' });
  }
  const envRel = topRel(registry, top, registry.envPath(env));
  const text = commit ? await audit.fileAt(top, commit, envRel) : null;
  let pins: PinAsOf[] = [];
  if (text !== null && commit) {
    const file = await parseEnvText(text);
    if (!file) throw new CheckFailed(`${envRel} at ${commit.slice(0, 12)} is not a valid environment file`, { hint: `"git show ${commit.slice(0, 12)}:${envRel}" shows it` });
    pins = pinsAsOf(file, await audit.envCommitsFrom(top, envRel, commit));
    if (id !== undefined) pins = pins.filter((p) => p.id === id);
  }
  const info = commit ? await audit.commitInfo(top, commit) : null;
  if (ctx.json) {
    writeJson(ctx, { env, at, instant, commit: info, file: envRel, exists: text !== null, pins });
    return 0;
  }
  const c = await ctx.c();
  const out: string[] = [];
  const when = instant ?? at;
  if (!commit) out.push(`${env}: nothing was committed at or before ${when}`);
  else if (text === null) out.push(`${env}: ${envRel} did not exist at ${commit.slice(0, 12)} (${info?.date ?? ''})`);
  else {
    out.push(`${c.bold(env)} as of ${termSafe(when)}: commit ${c.cyan(commit.slice(0, 12))} (${info?.date ?? ''}, ${termSafe(info?.author ?? '')})`);
    if (pins.length === 0) out.push(id ? `  ${id} was not pinned` : '  no pins');
    for (const p of pins) {
      out.push(`  ${c.bold(termSafe(p.id))}  ${p.version}  sha256 ${p.sha256.slice(0, 12)}…  previous ${p.previous ?? 'none'}`);
      out.push(`    ${p.last ? `${p.last.action} ${p.last.from ?? 'none'} -> ${p.last.to}` : 'promoted'} by ${termSafe(p.last?.by ?? p.promoted_by)} at ${p.last?.at ?? p.promoted_at}${p.commit ? `  ${c.cyan(p.commit.hash.slice(0, 12))}` : c.dim('  (no commit)')}`);
      if (p.last?.reason ?? p.reason) out.push(`    reason: ${termSafe(p.last?.reason ?? p.reason ?? '')}`);
      const ev = evalLine(p.eval);
      out.push(`    eval: ${ev ?? 'none recorded'}`);
      if (p.rollout) out.push(`    rollout: ${p.rollout.version} at ${p.rollout.weight}% (since ${p.rollout.updated_at})`);
      out.push(`    approvals: ${p.approvals.length ? p.approvals.map((a) => `${termSafe(a.by)} at ${a.at}${a.reason ? ` (${termSafe(a.reason)})` : ''}`).join('; ') : 'none'}`);
    }
  }
  ctx.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

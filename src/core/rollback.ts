/**
 * Rollback as a pure plan (SPEC §4). The promotion chain is reconstructed from the pin's
 * history as a stack: `promote X` pushes X, `rollback` pops back to its target (or pushes it,
 * when the target is not on the stack, e.g. a roll-forward with --to). Rolling back pops one
 * more, so repeated rollbacks walk back 1.2.0 -> 1.1.0 -> 1.0.0 and never toggle between two
 * versions, even when an old version was promoted again later.
 */
import { CheckFailed } from '../errors.js';
import type { EnvironmentFile, EnvPin, EvalSummary, HistoryEntry } from './types.js';

export interface RollbackInput {
  id: string;
  env: string;
  target: EnvironmentFile;
  /** --to <version> */
  to?: string;
}

export interface RollbackPlan {
  kind: 'rollback';
  id: string;
  env: string;
  /** the version active now */
  from: string;
  /** the version restored */
  version: string;
  /** what `previous` becomes: the version active before `version` was promoted, or null */
  previous: string | null;
  /** the sha256 recorded for `version` in history, when one was (rollback verifies the file) */
  recordedSha256: string | null;
  /** the eval recorded when `version` was last promoted, kept on the restored pin */
  eval: EvalSummary | null;
}

export interface AlreadyActive {
  kind: 'noop';
  id: string;
  env: string;
  version: string;
}

/** The promotion stack (oldest first; the last element is the active version). */
export function promotionStack(pin: EnvPin): string[] {
  const entries = [...pin.history].reverse();
  const stack: string[] = [];
  const first = entries[0];
  if (first?.from) stack.push(first.from);
  for (const e of entries) {
    if (e.action === 'promote') {
      if (stack[stack.length - 1] !== e.version) stack.push(e.version);
    } else {
      const at = stack.lastIndexOf(e.version);
      if (at === -1) stack.push(e.version);
      else stack.length = at + 1;
    }
  }
  // A history that does not end at the pinned version (edited by hand, or truncated oddly):
  // trust the pin itself.
  if (stack[stack.length - 1] !== pin.version) return pin.previous ? [pin.previous, pin.version] : [pin.version];
  // A history cut by history_limit loses the bottom of the chain (the stack then disagrees with
  // the pin); the pin's `previous` is what the last promote/rollback recorded, and it is what the
  // next rollback restores (null: the chain ends here).
  if ((stack[stack.length - 2] ?? null) !== pin.previous) return pin.previous ? [pin.previous, pin.version] : [pin.version];
  return stack;
}

function lastEntryFor(history: readonly HistoryEntry[], version: string): HistoryEntry | undefined {
  return history.find((h) => h.version === version && h.sha256 !== undefined) ?? history.find((h) => h.version === version);
}

/** Throws CheckFailed (exit 1) when there is nothing to roll back to. */
export function planRollback(input: RollbackInput): RollbackPlan | AlreadyActive {
  const { id, env, to } = input;
  const pin = input.target.prompts[id];
  if (!pin) {
    throw new CheckFailed(`nothing to roll back: ${id} is not pinned in "${env}"`, { hint: `"prompts status" shows what each environment pins` });
  }
  const stack = promotionStack(pin);
  let version: string;
  let previous: string | null;
  if (to !== undefined) {
    if (to === pin.version) return { kind: 'noop', id, env, version: to };
    const known = to === pin.previous || pin.history.some((h) => h.version === to || h.from === to);
    if (!known) {
      const seen = [...new Set([pin.previous, ...pin.history.flatMap((h) => [h.version, h.from])].filter((v): v is string => !!v && v !== pin.version))];
      throw new CheckFailed(`cannot roll back ${id} in "${env}" to ${to}: it is not in the recorded history`, {
        hint: seen.length ? `versions in ${env}'s history: ${seen.join(', ')}` : `"${env}" has no earlier version of ${id}; use "prompts promote" instead`,
      });
    }
    const at = stack.lastIndexOf(to);
    if (at !== -1 && at < stack.length - 1) {
      version = to;
      previous = stack[at - 1] ?? null;
    } else {
      // not below the active version on the stack (a roll-forward): the active version becomes previous
      version = to;
      previous = pin.version;
    }
  } else {
    const below = stack[stack.length - 2];
    if (below === undefined) {
      throw new CheckFailed(`nothing to roll back: ${id}@${pin.version} in "${env}" has no recorded previous version`, {
        hint: 'the promotion chain is exhausted; promote the version you want with "prompts promote <id>@<version>"',
      });
    }
    version = below;
    previous = stack[stack.length - 3] ?? null;
  }
  const entry = lastEntryFor(pin.history, version);
  const promoted = pin.history.find((h) => h.version === version && h.action === 'promote');
  return {
    kind: 'rollback',
    id,
    env,
    from: pin.version,
    version,
    previous,
    recordedSha256: entry?.sha256 ?? null,
    eval: promoted?.eval ?? null,
  };
}

export interface RollbackRecord {
  sha256: string;
  at: string;
  by: string;
  reason?: string;
}

export function applyRollback(target: EnvironmentFile, plan: RollbackPlan, rec: RollbackRecord, historyLimit: number): EnvironmentFile {
  const old = target.prompts[plan.id];
  const entry: HistoryEntry = { action: 'rollback', version: plan.version, from: plan.from, sha256: rec.sha256, at: rec.at, by: rec.by };
  if (rec.reason !== undefined) entry.reason = rec.reason;
  const pin: EnvPin = {
    version: plan.version,
    sha256: rec.sha256,
    previous: plan.previous,
    promoted_at: rec.at,
    promoted_by: rec.by,
    history: [entry, ...(old?.history ?? [])].slice(0, Math.max(1, historyLimit)),
  };
  if (rec.reason !== undefined) pin.reason = rec.reason;
  if (plan.eval) pin.eval = plan.eval;
  // keep key order stable: version, sha256, previous, promoted_at, promoted_by, reason, eval, history
  const ordered: EnvPin = {
    version: pin.version,
    sha256: pin.sha256,
    previous: pin.previous,
    promoted_at: pin.promoted_at,
    promoted_by: pin.promoted_by,
    ...(pin.reason !== undefined ? { reason: pin.reason } : {}),
    ...(pin.eval !== undefined ? { eval: pin.eval } : {}),
    history: pin.history,
  };
  return { ...target, prompts: { ...target.prompts, [plan.id]: ordered } };
}

/** Compare-and-swap: the rollback plan still holds when this prompt's pin is unchanged. */
export function recheckRollback(plan: RollbackPlan, fresh: EnvironmentFile): RollbackPlan | { conflict: string } {
  const now = fresh.prompts[plan.id]?.version ?? null;
  if (now !== plan.from) {
    return { conflict: `${plan.id} in "${plan.env}" changed while this rollback was prepared (it was ${plan.from}, now ${now ?? 'not pinned'})` };
  }
  return plan;
}

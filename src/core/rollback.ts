/**
 * Rollback as a pure plan (SPEC §4). The promotion chain is reconstructed from the pin's
 * history as a stack: `promote X` pushes X, `rollback` pops back to its target (or pushes it,
 * when the target is not on the stack, e.g. a roll-forward with --to). Rolling back pops one
 * more, so repeated rollbacks walk back 1.2.0 -> 1.1.0 -> 1.0.0 and never toggle between two
 * versions, even when an old version was promoted again later.
 *
 * Two steps like promotion: `selectRollback` (which version, or why not), then `planRollback`
 * with the restored file's sha256 (integrity) and `at`/`by`: the EnvChangePlan or refusals.
 * No gate: rollback is the emergency path.
 */
import { commitBody, commitSubject } from './env-text.js';
import { depRefusal, depsLine, depsMismatch, integrityMismatch, short, type DepsRecord, type PinIn } from './integrity.js';
import { refusal, refused, type EnvChangePlan, type EnvDecision, type PreviewLine, type Refused } from './env-change.js';
import { isRolloutStep, pinnedBy, recordEntry } from './history.js';
import { rolloutRunning } from './promotion.js';
import { tamperCheck, type NewHistoryEntry } from './env-chain.js';
import type { DepsMap, EnvironmentFile, EnvPin, EvalSummary } from './types.js';
import { own } from './own.js';

export interface RollbackSelectInput {
  id: string;
  env: string;
  target: EnvironmentFile;
  /** its registry-relative path, for messages (default environments/<env>.yaml) */
  targetRel?: string;
  /** --to <version> */
  to?: string;
  /** the prompt's version files on disk (a --to naming none of them, recorded nowhere, is exit 2) */
  versions: readonly string[];
}

export interface RollbackChoice {
  kind: 'choice';
  id: string;
  env: string;
  /** the version active now */
  from: string;
  /** the version restored */
  version: string;
  /** what `previous` becomes: the version active before `version` was promoted, or null */
  previous: string | null;
  /** the eval recorded when `version` was last promoted, kept on the restored pin */
  eval: EvalSummary | null;
}

/**
 * The promotion stack (oldest first; the last element is the active version). A completed
 * rollout counts as a promotion of its candidate; the other rollout steps leave the stable
 * version as it was.
 */
export function promotionStack(pin: EnvPin): string[] {
  const entries = [...pin.history].reverse().filter((e) => !isRolloutStep(e.action) || e.action === 'rollout-complete');
  const stack: string[] = [];
  const first = entries[0];
  if (first?.from) stack.push(first.from);
  for (const e of entries) {
    if (e.action === 'promote' || e.action === 'rollout-complete') {
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

/** Step 1: the version to restore, or why not (nothing recorded: exit 1). */
export function selectRollback(input: RollbackSelectInput): EnvDecision<RollbackChoice> {
  const { id, env, to } = input;
  const pin = own(input.target.prompts, id);
  // the chain a rollback walks back must be the one promptrail recorded
  const tampered = tamperCheck([{ rel: input.targetRel ?? `environments/${env}.yaml`, id, pin }]);
  if (tampered) return tampered;
  if (to !== undefined && !input.versions.includes(to)) {
    // a version that exists nowhere (no file, never recorded) is a usage error like any unknown version
    const recordedHere = pin !== undefined && (pin.version === to || pin.previous === to || pin.history.some((h) => pinnedBy(h).includes(to)));
    if (!recordedHere) return refused({ code: 'unknown-version', exit: 2, message: `prompt "${id}" has no version ${to}`, hint: `versions: ${input.versions.join(', ')}` });
  }
  if (!pin) {
    return refused({ code: 'not-pinned', exit: 1, message: `nothing to roll back: ${id} is not pinned in "${env}"`, hint: `"prompts status" shows what each environment pins` });
  }
  const running = rolloutRunning(input.target, id, env, 'a rollback');
  if (running) return refused(running);
  const stack = promotionStack(pin);
  let version: string;
  let previous: string | null;
  if (to !== undefined) {
    if (to === pin.version) {
      return { kind: 'noop', action: 'rollback', id, env, version: to, text: `${id}@${to} is already the active version in ${env}; nothing to do`, message: 'already active' };
    }
    const known = to === pin.previous || pin.history.some((h) => pinnedBy(h).includes(to));
    if (!known) {
      const seen = [...new Set([pin.previous, ...pin.history.flatMap((h) => pinnedBy(h))].filter((v): v is string => !!v && v !== pin.version))];
      return refused({
        code: 'not-in-history',
        exit: 1,
        message: `cannot roll back ${id} in "${env}" to ${to}: it is not in the recorded history`,
        hint: seen.length ? `versions in ${env}'s history: ${seen.join(', ')}` : `"${env}" has no earlier version of ${id}; use "prompts promote" instead`,
      });
    }
    const at = stack.lastIndexOf(to);
    version = to;
    // below the active version on the stack: the chain continues under it; else (a roll-forward)
    // the active version becomes previous
    previous = at !== -1 && at < stack.length - 1 ? (stack[at - 1] ?? null) : pin.version;
  } else {
    const below = stack[stack.length - 2];
    if (below === undefined) {
      return refused({
        code: 'chain-exhausted',
        exit: 1,
        message: `nothing to roll back: ${id}@${pin.version} in "${env}" has no recorded previous version`,
        hint: 'the promotion chain is exhausted; promote the version you want with "prompts promote <id>@<version>"',
      });
    }
    version = below;
    previous = stack[stack.length - 3] ?? null;
  }
  const promoted = pin.history.find((h) => h.version === version && (h.action === 'promote' || h.action === 'rollout-complete'));
  return { kind: 'choice', id, env, from: pin.version, version, previous, eval: promoted?.eval ?? null };
}

export interface RollbackInput {
  choice: RollbackChoice;
  /** registry-relative paths of the environment file and the restored version file */
  file: string;
  versionFile: string;
  /** sha256 of the restored file's bytes; null when the file no longer exists */
  sha256: string | null;
  /** this prompt's pin in every environment (config order), the target included */
  pins: readonly PinIn[];
  /** sha256 of every other file the restored version is resolved from now (its partials and parents) */
  deps?: DepsMap;
  /** the deps every pin and history entry of every environment recorded (needed when `deps` is not empty) */
  depRecords?: readonly DepsRecord[];
  reason: string | null;
  at: string;
  by: string;
  historyLimit: number;
}

export interface RollbackRecord {
  sha256: string;
  deps?: DepsMap;
  at: string;
  by: string;
  reason?: string;
}

/** Step 2: the plan, or why the restored bytes cannot be pinned (gone, or changed since pinned). */
export function planRollback(input: RollbackInput): EnvChangePlan | Refused {
  const { choice } = input;
  const { id, env, version, from, previous } = choice;
  const sha = input.sha256;
  if (sha === null) {
    return refused({
      code: 'version-missing',
      exit: 1,
      message: `cannot roll back ${id} in "${env}" to ${version}: ${input.versionFile} no longer exists`,
      hint: `restore it from git ("git checkout <commit> -- ${input.versionFile}"), or roll back --to another version`,
    });
  }
  const tampered = tamperCheck(input.pins.map((p) => ({ rel: p.rel ?? `environments/${p.env}.yaml`, id, pin: p.pin })));
  if (tampered) return tampered;
  const mismatch = integrityMismatch(version, sha, input.pins);
  if (mismatch) {
    return refused({
      code: 'integrity',
      exit: 1,
      message: `cannot roll back ${id} in "${env}" to ${version}: ${input.versionFile} changed since it was pinned (sha256 ${short(sha)}, recorded ${mismatch.map((m) => short(m.sha256)).join(', ')})`,
      file: input.versionFile,
      hint: 'version files are immutable; restore the original bytes from git, or roll back --to another version',
    });
  }
  const deps = input.deps && Object.keys(input.deps).length ? input.deps : undefined;
  const depChanged = deps ? depsMismatch(deps, input.depRecords ?? []) : null;
  if (depChanged) {
    const r = depRefusal(`${id}@${version}`, depChanged);
    return refused({ ...r, message: `cannot roll back ${id} in "${env}" to ${version}: ${r.message.replace(/^refused: /, '')}` });
  }
  const rec: RollbackRecord = { sha256: sha, ...(deps ? { deps } : {}), at: input.at, by: input.by, reason: input.reason ?? undefined };
  return {
    kind: 'change',
    action: 'rollback',
    id,
    env,
    from,
    to: version,
    file: input.file,
    reason: input.reason,
    subject: commitSubject('rollback', env, id, from, version),
    body: commitBody({ reason: input.reason, id, version, sha256: sha, deps }),
    mutate: (fresh) => {
      const running = rolloutRunning(fresh, id, env, 'rollback', 3);
      if (running) return refusal(running);
      const now = own(fresh.prompts, id)?.version ?? null;
      if (now !== from) {
        return refusal({
          code: 'conflict',
          exit: 3,
          message: `${id} in "${env}" changed while this rollback was prepared (it was ${from}, now ${now ?? 'not pinned'})`,
          hint: 'run the command again to plan against the current file',
        });
      }
      return applyRollback(fresh, choice, rec, input.historyLimit);
    },
    scope: id,
    pending: null,
    words: { would: 'would roll back', done: 'rolled back' },
    preview: [
      ['previous becomes', previous ?? 'none (the chain ends here)'],
      ['file', input.file],
      ['sha256', sha],
      ...(deps ? [['deps', depsLine(deps)] as PreviewLine] : []),
    ],
    json: { plan: { previous, sha256: sha, ...(deps ? { deps } : {}) }, result: { previous, sha256: sha, ...(deps ? { deps } : {}) } },
    before: [],
    after: [`previous is now ${previous ?? 'none'}${previous ? ` (another rollback goes to ${previous})` : ' (nothing further to roll back)'}`],
  };
}

/** Returns a new environment file with the rollback applied (the input is not modified). */
export function applyRollback(target: EnvironmentFile, choice: Pick<RollbackChoice, 'id' | 'from' | 'version' | 'previous' | 'eval'>, rec: RollbackRecord, historyLimit: number): EnvironmentFile {
  const old = own(target.prompts, choice.id);
  // the entry records what the pin becomes (previous, deps, and the eval kept from the restored
  // version's promotion), so the pin can be checked against it (core/env-chain.ts)
  const entry: NewHistoryEntry = { action: 'rollback', version: choice.version, from: choice.from, previous: choice.previous, sha256: rec.sha256, ...(rec.deps ? { deps: rec.deps } : {}), at: rec.at, by: rec.by };
  if (rec.reason !== undefined) entry.reason = rec.reason;
  if (choice.eval) entry.eval = choice.eval;
  // key order stable: version, sha256, deps, previous, promoted_at, promoted_by, reason, eval, history
  const pin: EnvPin = {
    version: choice.version,
    sha256: rec.sha256,
    ...(rec.deps ? { deps: rec.deps } : {}),
    previous: choice.previous,
    promoted_at: rec.at,
    promoted_by: rec.by,
    ...(rec.reason !== undefined ? { reason: rec.reason } : {}),
    ...(choice.eval ? { eval: choice.eval } : {}),
    history: recordEntry(old?.history, entry, historyLimit),
  };
  return { ...target, prompts: { ...target.prompts, [choice.id]: pin } };
}

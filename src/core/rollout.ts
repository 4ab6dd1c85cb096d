/**
 * Rollouts as pure plans (SPEC §12): a pin's candidate version served to `weight` percent of the
 * keys, moved by start → set/advance → complete (or abort). Each step is an EnvChangePlan that
 * `apply/` carries out like a promotion: one commit of the environment file, the same lock,
 * compare-and-swap, push and undo.
 *
 * `start` takes the choice of promotion (`selectPromotion`: the named version, `requires`) and
 * the same evidence rules (`pinEvidence`: integrity, the gate; later approvals) as promote, so a
 * candidate reaches 1 % of the keys under exactly the rules that would let it reach all of them.
 * `abort` needs no gate (the emergency path) and is recorded. `complete` makes the candidate the
 * pinned version with `previous` = the old stable, so `rollback` then restores the old stable.
 *
 * No fs, no git, no clock: `at` and `by` are passed in.
 */
import { isWeight, stagesProblem } from './bucket.js';
import { commitBody, rolloutSubject } from './env-text.js';
import { refusal, refused, type EnvChangePlan, type NoChange, type PreviewLine, type Refusal, type Refused } from './env-change.js';
import { short } from './integrity.js';
import { recordEntry } from './history.js';
import { tamperCheck } from './env-chain.js';
import { approvalsPreview, compact, pinEvidence, rolloutRunning, type PinEvidenceInput, type PromotionChoice } from './promotion.js';
import type { EnvironmentFile, EnvPin, HistoryEntry, RolloutState } from './types.js';
import { own } from './own.js';

export { stagesProblem };

/* ------------------------------------------------------------------ the shape of a rollout -- */

/**
 * The weight and stages a rollout starts with: `--weight` (else the first stage), `--stages`
 * (else the environment's `rollout.stages`). Stages ascend, each above 0 and at most 100, with at
 * most 2 decimals; an explicit weight is one of the stages when there are any. Exit 2 otherwise.
 */
export function startShape(o: { weight?: number; stages?: readonly number[]; configStages?: readonly number[] }): { weight: number; stages: number[] | null } | Refused {
  const stages = o.stages ?? o.configStages ?? null;
  const where = o.stages ? '--stages' : 'the environment\'s rollout.stages';
  if (stages) {
    const bad = stagesProblem(stages);
    if (bad) return refused({ code: 'bad-stages', exit: 2, message: `${where}: ${bad}`, hint: 'e.g. --stages 5,25,50,100' });
  }
  if (o.weight !== undefined) {
    if (!isWeight(o.weight)) return refused(badWeight(o.weight));
    if (stages && !stages.includes(o.weight)) {
      return refused({ code: 'bad-stages', exit: 2, message: `--weight ${o.weight} is not one of the stages (${stages.join(', ')})`, hint: 'start at a stage (the first one without --weight), or give --stages that include it' });
    }
    return { weight: o.weight, stages: stages ? [...stages] : null };
  }
  if (!stages) return refused({ code: 'bad-stages', exit: 2, message: 'a rollout needs a first weight: give --weight <percent> or --stages a,b,…', hint: 'or set environments.<env>.rollout.stages in prompts.config.yaml' });
  return { weight: stages[0]!, stages: [...stages] };
}

function badWeight(w: number): Omit<Refusal, 'kind'> {
  return { code: 'bad-weight', exit: 2, message: `weight ${w} is not a percentage from 0 to 100 with at most 2 decimals`, hint: 'e.g. --weight 5 or --weight 12.5' };
}

/** The stage after `weight`, or null at (or past) the last one. */
export function nextStage(r: Pick<RolloutState, 'weight' | 'stages'>): number | null {
  return r.stages?.find((s) => s > r.weight) ?? null;
}

/* -------------------------------------------------------------------------------- start -- */

export interface RolloutStartInput extends PinEvidenceInput {
  /** registry-relative path of the environment file */
  file: string;
  /** the pin as it is now (the stable version must be pinned) */
  target: EnvironmentFile;
  weight: number;
  stages: number[] | null;
  salt: string;
  reason: string | null;
  at: string;
  by: string;
  historyLimit: number;
}

/**
 * `selectPromotion`'s outcome for a rollout: the candidate must differ from the stable version
 * (a NoChange "already pinned" is a refusal here), and there must be a stable version.
 */
export function rolloutCandidate(d: PromotionChoice | NoChange | Refused, target: EnvironmentFile): PromotionChoice | Refused {
  if (d.kind === 'refused') return d;
  if (d.kind === 'noop') {
    return refused({
      code: 'candidate-is-stable',
      exit: 1,
      message: `refused: ${d.id}@${d.version} is already the stable version in "${d.env}"; a rollout needs a different candidate`,
      hint: `bump a new version and start the rollout with that ("prompts bump ${d.id} minor")`,
    });
  }
  if (!own(target.prompts, d.id)) return notPinnedYet(d);
  return d;
}

function notPinnedYet(d: { id: string; env: string; version: string }): Refused {
  return refused({
    code: 'not-pinned-yet',
    exit: 1,
    message: `refused: ${d.id} is not pinned in "${d.env}" yet, so there is no stable version for the candidate to share the keys with`,
    hint: `promote the first version instead ("prompts promote ${d.id}@${d.version} --env ${d.env}")`,
  });
}

export function planRolloutStart(input: RolloutStartInput): EnvChangePlan | Refused {
  const { choice, weight, stages, salt } = input;
  const { id, env, version } = choice;
  const stable = own(input.target.prompts, id);
  if (!stable) return notPinnedYet(choice);
  if (!isWeight(weight)) return refused(badWeight(weight));
  if (stages) {
    const bad = stagesProblem(stages);
    if (bad) return refused({ code: 'bad-stages', exit: 2, message: bad });
  }
  if (salt.length === 0 || [...salt].length > 256) return refused({ code: 'bad-weight', exit: 2, message: 'the salt must be 1 to 256 characters' });
  const ev = pinEvidence(input);
  if (ev.kind === 'refused') return ev;
  const from = stable.version;
  const deps = ev.deps;
  const rollout: RolloutState = compact({
    version,
    sha256: input.sha256,
    deps,
    weight,
    salt,
    stages: stages ?? undefined,
    started_at: input.at,
    started_by: input.by,
    updated_at: input.at,
    eval: ev.eval ?? undefined,
  });
  const entry: HistoryEntry = compact({
    action: 'rollout-start' as const,
    version,
    from,
    weight,
    sha256: input.sha256,
    deps,
    at: input.at,
    by: input.by,
    reason: input.reason ?? undefined,
    eval: ev.eval ?? undefined,
    skip_eval: ev.skipped ? true : undefined,
  });
  const startNote = ` at ${weight}%${stages ? ` (stages ${stages.join(', ')})` : ''}`;
  const preview: PreviewLine[] = [
    ['weight', `${weight}% of keys on ${version}, ${100 - weight}% on ${from}`],
    ['stages', stages ? stages.map((s) => `${s}%`).join(' -> ') : 'none (move it with "rollout set")'],
    ['salt', salt],
    ['file', input.file],
    ['sha256', input.sha256],
    ...ev.depsPreview,
    ev.preview,
    ...approvalsPreview(ev),
  ];
  return {
    kind: 'change',
    action: 'rollout-start',
    id,
    env,
    from,
    to: version,
    file: input.file,
    reason: input.reason,
    subject: rolloutSubject(env, id, from, version, 0, weight),
    body: commitBody({ reason: input.reason, eval: ev.eval, skipEval: ev.skipped, id, version, sha256: input.sha256, deps, gate: ev.gateDesc, rollout: 'start', extra: [`Weight: ${weight}%`, ...(stages ? [`Stages: ${stages.join(', ')}`] : []), `Salt: ${salt}`] }),
    mutate: (fresh) => {
      const running = rolloutRunning(fresh, id, env, 'rollout', 3);
      if (running) return refusal(running);
      const pin = own(fresh.prompts, id);
      if (pin?.version !== from) return changed(id, env, 'rollout', `its stable version was ${from}, now ${pin?.version ?? 'not pinned'}`);
      return withPin(fresh, id, { ...pin, rollout, history: recordEntry(pin.history, entry, input.historyLimit) });
    },
    scope: id,
    pending: ev.pending ? 'gate' : null,
    signed: input.signed ?? false,
    words: { would: 'would start a rollout of', done: 'started a rollout of', note: startNote, doneNote: startNote },
    preview,
    json: {
      plan: { fromWeight: 0, weight, stages, salt, sha256: input.sha256, ...(deps ? { deps } : {}), gate: ev.planJson, ...(ev.approvals ? { approvals: ev.approvals } : {}) },
      result: { fromWeight: 0, weight, stages, salt, sha256: input.sha256, ...(deps ? { deps } : {}), eval: ev.eval, skipEval: ev.skipped, ...(ev.approvals ? { approvals: ev.approvals } : {}) },
    },
    before: ev.before,
    after: ev.eval ? [`eval: pass rate ${ev.eval.pass_rate} (${ev.eval.passed}/${ev.eval.cases} cases)`] : [],
  };
}

/* --------------------------------------------------------------- set, advance, abort, complete -- */

export interface RolloutStepInput {
  id: string;
  env: string;
  /** registry-relative path of the environment file */
  file: string;
  /** the environment file as read now (a pin view is enough) */
  target: EnvironmentFile;
  reason: string | null;
  at: string;
  by: string;
  historyLimit: number;
  /** more commit-body lines (`rollout check` records the numbers it decided by) */
  extra?: string[];
}

/** The running rollout of `id`, or the refusal (exit 1) that there is none. */
function running(input: RolloutStepInput, verb: string): { pin: EnvPin; rollout: RolloutState } | Refused {
  const pin = own(input.target.prompts, input.id);
  // a step builds on the rollout promptrail recorded, never on a hand-edited one (core/env-chain.ts)
  const tampered = tamperCheck([{ rel: input.file, id: input.id, pin }]);
  if (tampered) return tampered;
  if (!pin?.rollout) {
    return refused({
      code: 'no-rollout',
      exit: 1,
      message: `cannot ${verb}: no rollout of ${input.id} is running in "${input.env}"${pin ? ` (it pins ${pin.version})` : ' (it is not pinned there)'}`,
      hint: `start one with "prompts rollout start ${input.id}@<version> --env ${input.env}"; "prompts rollout status" lists the running ones`,
    });
  }
  return { pin, rollout: pin.rollout };
}

function changed(id: string, env: string, what: string, how: string): Refusal {
  return refusal({ code: 'conflict', exit: 3, message: `${id} in "${env}" changed while this ${what} was prepared: ${how}`, hint: 'run the command again to plan against the current file' });
}

/** The same rollout (stable, candidate, weight) is still running in `fresh`, else the conflict. */
function sameRollout(fresh: EnvironmentFile, id: string, env: string, was: { stable: string; rollout: RolloutState }, what: string): { pin: EnvPin; rollout: RolloutState } | Refusal {
  const pin = own(fresh.prompts, id);
  const r = pin?.rollout;
  if (!pin || !r) return changed(id, env, what, `the rollout of ${was.rollout.version} is no longer running`);
  if (pin.version !== was.stable || r.version !== was.rollout.version || r.sha256 !== was.rollout.sha256) {
    return changed(id, env, what, `it was ${was.stable} with candidate ${was.rollout.version}, now ${pin.version}${` with candidate ${r.version}`}`);
  }
  if (r.weight !== was.rollout.weight) return changed(id, env, what, `the candidate's weight was ${was.rollout.weight}%, now ${r.weight}%`);
  return { pin, rollout: r };
}

function withPin(file: EnvironmentFile, id: string, pin: EnvPin): EnvironmentFile {
  return { ...file, prompts: { ...file.prompts, [id]: pin } };
}

function stepEntry(action: HistoryEntry['action'], r: RolloutState, stable: string, weight: number, input: RolloutStepInput): HistoryEntry {
  return compact({ action, version: r.version, from: stable, weight, sha256: r.sha256, deps: r.deps, at: input.at, by: input.by, reason: input.reason ?? undefined });
}

function stepBody(input: RolloutStepInput, r: RolloutState, step: string, lines: string[]): string {
  return commitBody({ reason: input.reason, id: input.id, version: r.version, sha256: r.sha256, deps: r.deps, rollout: step, extra: [...lines, ...(input.extra ?? [])] });
}

/** `rollout set --weight N`, and `rollout advance` (N = the next stage): a `rollout-set` step. */
export function planRolloutSet(input: RolloutStepInput & { weight: number; advance?: boolean }): EnvChangePlan | NoChange | Refused {
  const verb = input.advance ? 'advance the rollout' : 'set the rollout\'s weight';
  const got = running(input, verb);
  if ('kind' in got) return got;
  const { pin, rollout } = got;
  const { id, env, weight } = input;
  if (!isWeight(weight)) return refused(badWeight(weight));
  if (weight === rollout.weight) {
    return { kind: 'noop', action: 'rollout-set', id, env, version: rollout.version, text: `the rollout of ${id}@${rollout.version} in ${env} is already at ${weight}%; nothing to do`, message: 'already at that weight' };
  }
  const from = rollout.weight;
  const next: RolloutState = { ...rollout, weight, updated_at: input.at };
  const entry = stepEntry('rollout-set', rollout, pin.version, weight, input);
  const what = input.advance ? 'advance' : 'change of weight';
  return {
    kind: 'change',
    action: input.advance ? 'rollout-advance' : 'rollout-set',
    id,
    env,
    from: pin.version,
    to: rollout.version,
    file: input.file,
    reason: input.reason,
    subject: rolloutSubject(env, id, pin.version, rollout.version, from, weight),
    body: stepBody(input, rollout, 'set', [`Weight: ${from}% -> ${weight}%`]),
    mutate: (fresh) => {
      const same = sameRollout(fresh, id, env, { stable: pin.version, rollout }, what);
      if ('kind' in same) return same;
      return withPin(fresh, id, { ...same.pin, rollout: next, history: recordEntry(same.pin.history, entry, input.historyLimit) });
    },
    scope: id,
    pending: null,
    words: input.advance
      ? { would: 'would advance the rollout of', done: 'advanced the rollout of', note: `: ${from}% -> ${weight}%`, doneNote: `: ${from}% -> ${weight}%` }
      : { would: 'would set the rollout of', done: 'set the rollout of', note: `: ${from}% -> ${weight}%`, doneNote: `: ${from}% -> ${weight}%` },
    preview: [
      ['weight', `${from}% -> ${weight}% of keys on ${rollout.version}`],
      ...(rollout.stages ? [['stages', rollout.stages.map((s) => `${s}%`).join(' -> ')] as const] : []),
      ['file', input.file],
    ],
    json: { plan: { fromWeight: from, weight, stages: rollout.stages ?? null }, result: { fromWeight: from, weight, stages: rollout.stages ?? null } },
    before: weight < from ? [`note: lowering the weight moves the keys of buckets ${10000 - Math.round(from * 100)}–${9999 - Math.round(weight * 100)} back to ${pin.version}`] : [],
    after: [],
  };
}

/** `rollout advance`: a set to the next of the rollout's stages. No stages: exit 2; past the last: exit 1. */
export function planRolloutAdvance(input: RolloutStepInput): EnvChangePlan | NoChange | Refused {
  const got = running(input, 'advance the rollout');
  if ('kind' in got) return got;
  const { rollout } = got;
  if (!rollout.stages) {
    return refused({ code: 'bad-stages', exit: 2, message: `the rollout of ${input.id}@${rollout.version} in "${input.env}" has no stages to advance through (it is at ${rollout.weight}%)`, hint: `set the weight ("prompts rollout set ${input.id} --env ${input.env} --weight <percent>") or complete it` });
  }
  const next = nextStage(rollout);
  if (next === null) {
    return refused({
      code: 'no-next-stage',
      exit: 1,
      message: `the rollout of ${input.id}@${rollout.version} in "${input.env}" is at its last stage (${rollout.weight}%; stages ${rollout.stages.join(', ')})`,
      hint: `complete it ("prompts rollout complete ${input.id} --env ${input.env}")`,
    });
  }
  return planRolloutSet({ ...input, weight: next, advance: true });
}

/** `rollout abort --reason`: every key back on the stable version, recorded. No gate. */
export function planRolloutAbort(input: RolloutStepInput): EnvChangePlan | Refused {
  const got = running(input, 'abort');
  if ('kind' in got) return got;
  const { pin, rollout } = got;
  const { id, env } = input;
  const entry = stepEntry('rollout-abort', rollout, pin.version, 0, input);
  const abortNote = `: ${rollout.weight}% -> 0%, every key on ${pin.version}`;
  return {
    kind: 'change',
    action: 'rollout-abort',
    id,
    env,
    from: pin.version,
    to: rollout.version,
    file: input.file,
    reason: input.reason,
    subject: rolloutSubject(env, id, pin.version, rollout.version, rollout.weight, 0),
    body: stepBody(input, rollout, 'abort', [`Weight: ${rollout.weight}% -> 0%`]),
    mutate: (fresh) => {
      const p = own(fresh.prompts, id);
      // an abort only needs the same candidate to be running: whatever its weight is now, it goes to 0
      if (!p?.rollout || p.version !== pin.version || p.rollout.version !== rollout.version) return changed(id, env, 'abort', 'the rollout of ' + rollout.version + ' is no longer running');
      const { rollout: _gone, ...rest } = p;
      return withPin(fresh, id, { ...rest, history: recordEntry(p.history, { ...entry, weight: 0 }, input.historyLimit) });
    },
    scope: id,
    pending: null,
    words: { would: 'would abort the rollout of', done: 'aborted the rollout of', note: abortNote, doneNote: abortNote },
    preview: [
      ['weight', `${rollout.weight}% -> 0%: every key back on ${pin.version}`],
      ['file', input.file],
    ],
    json: { plan: { fromWeight: rollout.weight, weight: 0 }, result: { fromWeight: rollout.weight, weight: 0 } },
    before: [],
    after: [],
  };
}

export interface RolloutCompleteInput extends RolloutStepInput {
  /** registry-relative path of the candidate's version file, and the sha256 of its bytes now (null: gone) */
  candidateFile: string;
  candidateSha256: string | null;
  /** the environment requires signed commits: completing pins the candidate like a promotion */
  signed?: boolean;
}

/**
 * `rollout complete`: the candidate becomes the pinned version (its evidence the pin's `eval`),
 * `previous` the old stable, so a later `rollback` restores the old stable. The candidate's bytes
 * must still be the ones the rollout started with.
 */
export function planRolloutComplete(input: RolloutCompleteInput): EnvChangePlan | Refused {
  const got = running(input, 'complete');
  if ('kind' in got) return got;
  const { pin, rollout } = got;
  const { id, env } = input;
  if (input.candidateSha256 === null) {
    return refused({ code: 'version-missing', exit: 1, message: `cannot complete the rollout of ${id}@${rollout.version} in "${env}": ${input.candidateFile} no longer exists`, file: input.candidateFile, hint: `restore it from git ("git checkout <commit> -- ${input.candidateFile}"), or abort the rollout` });
  }
  if (input.candidateSha256 !== rollout.sha256) {
    return refused({
      code: 'integrity',
      exit: 1,
      message: `cannot complete the rollout of ${id}@${rollout.version} in "${env}": ${input.candidateFile} changed since the rollout started (sha256 ${short(input.candidateSha256)}, recorded ${short(rollout.sha256)})`,
      file: input.candidateFile,
      hint: 'version files are immutable: restore the recorded bytes from git, or abort the rollout and start one of a new version',
    });
  }
  const entry = stepEntry('rollout-complete', rollout, pin.version, 100, input);
  const completeNote = `: ${rollout.weight}% -> 100%, ${rollout.version} pinned, previous ${pin.version}`;
  const complete = (p: EnvPin): EnvPin =>
    compact({
      version: rollout.version,
      sha256: rollout.sha256,
      deps: rollout.deps,
      previous: p.version,
      promoted_at: input.at,
      promoted_by: input.by,
      reason: input.reason ?? undefined,
      eval: rollout.eval,
      history: recordEntry(p.history, entry, input.historyLimit),
    });
  return {
    kind: 'change',
    action: 'rollout-complete',
    id,
    env,
    from: pin.version,
    to: rollout.version,
    file: input.file,
    reason: input.reason,
    subject: rolloutSubject(env, id, pin.version, rollout.version, rollout.weight, 100),
    body: stepBody(input, rollout, 'complete', [`Weight: ${rollout.weight}% -> 100%`]),
    mutate: (fresh) => {
      const p = own(fresh.prompts, id);
      // whatever the weight is now, completing the same candidate of the same stable is what was planned
      if (!p?.rollout || p.version !== pin.version || p.rollout.version !== rollout.version || p.rollout.sha256 !== rollout.sha256) {
        return changed(id, env, 'completion', `the rollout of ${rollout.version} is no longer running`);
      }
      return withPin(fresh, id, complete(p));
    },
    scope: id,
    pending: null,
    signed: input.signed ?? false,
    words: { would: 'would complete the rollout of', done: 'completed the rollout of', note: completeNote, doneNote: completeNote },
    preview: [
      ['weight', `${rollout.weight}% -> 100%: ${rollout.version} becomes the pinned version`],
      ['previous becomes', `${pin.version} (what "prompts rollback" restores)`],
      ['file', input.file],
      ['sha256', rollout.sha256],
    ],
    json: { plan: { fromWeight: rollout.weight, weight: 100, previous: pin.version, sha256: rollout.sha256 }, result: { fromWeight: rollout.weight, weight: 100, previous: pin.version, sha256: rollout.sha256, eval: rollout.eval ?? null } },
    before: [],
    after: [`previous is now ${pin.version} ("prompts rollback ${id} --env ${env}" restores it)`],
  };
}

/**
 * Promotion as a pure plan (SPEC §4, §5). Two steps, because the second needs the bytes of the
 * version the first one chose:
 *
 * 1. `selectPromotion`: which version goes where (the named one, what the `requires`
 *    environment pins, or the latest), whether `requires` allows it, or that it is pinned already.
 * 2. `planPromotion`: given that version's sha256, its pins in every environment and the gate's
 *    evidence, the refusals (integrity, gate) or the EnvChangePlan `apply/` carries out. Without
 *    the gate's outcome yet, the plan is pending on 'gate' (what --dry-run shows); called again
 *    with the outcome, it is final.
 *
 * No fs, no git, no clock: the command gathers the inputs (including `at` and `by`).
 */
import { latestVersion } from './ref.js';
import { commitBody, commitSubject, evalLine, gateText } from './env-text.js';
import { depRefusal, depsLine, depsMismatch, integrityMismatch, short, type DepsRecord, type PinIn } from './integrity.js';
import { refusal, refused, type EnvChangePlan, type EnvDecision, type NoChange, type PreviewLine, type Refusal, type Refused } from './env-change.js';
import { pinnedBy, recordEntry } from './history.js';
import type { GateOutcome } from './gate.js';
import { tamperCheck, type NewHistoryEntry } from './env-chain.js';
import { approvalRefusal, approvalVerdict, type ApprovalRuleInput, type ApprovalVerdict } from './approval.js';
import type { DepsMap, EnvironmentFile, EnvPin, EvalSummary, GateConfig } from './types.js';
import { own } from './own.js';

export interface PromotionSelectInput {
  id: string;
  /** from `<id>@<version>`; absent = what the upstream env pins (or the latest without upstream) */
  requestedVersion?: string;
  env: string;
  /** the target environment file as read now */
  target: EnvironmentFile;
  /** its registry-relative path, for messages (default environments/<env>.yaml) */
  targetRel?: string;
  /** the `requires` environment, when the target has one */
  upstream?: { name: string; file: EnvironmentFile; rel?: string };
  /** the prompt's existing versions (ascending) */
  versions: readonly string[];
  /** what is being planned, for the refusal while a rollout runs (default "a promotion") */
  change?: string;
}

export interface PromotionChoice {
  kind: 'choice';
  id: string;
  env: string;
  version: string;
  /** the version pinned now, or null */
  from: string | null;
  /** how the version was chosen, for messages */
  source: 'requested' | 'upstream' | 'latest';
  /** the `requires` environment, or null */
  upstream: string | null;
}

/**
 * Was `version` ever pinned in `file` for `id` (now, as the recorded previous, or in its history,
 * where the `from` of an entry counts too: it survives one entry longer when history_limit cuts)?
 */
export function wasPinned(file: EnvironmentFile, id: string, version: string): boolean {
  const pin = own(file.prompts, id);
  if (!pin) return false;
  if (pin.version === version || pin.previous === version) return true;
  return pin.history.some((h) => pinnedBy(h).includes(version));
}

/**
 * A running rollout blocks every other change of the pin's stable version (promote, rollback,
 * another rollout): it would change what the rollout compares against. Exit 1 (`conflict`: the
 * rollout started while the change was being prepared, exit 3).
 */
export function rolloutRunning(file: EnvironmentFile, id: string, env: string, what: string, exit: 1 | 3 = 1): Omit<Refusal, 'kind'> | null {
  const r = own(file.prompts, id)?.rollout;
  if (!r) return null;
  return {
    code: exit === 3 ? 'conflict' : 'rollout-running',
    exit,
    message: `${exit === 3 ? `${id} in "${env}" changed while this ${what} was prepared: ` : 'refused: '}a rollout of ${id}@${r.version} is running in "${env}" (at ${r.weight}%)${exit === 3 ? '' : `; ${what} waits until it is completed or aborted`}`,
    hint: exit === 3 ? 'run the command again to plan against the current file' : `"prompts rollout complete ${id} --env ${env}" or "prompts rollout abort ${id} --env ${env} --reason <text>" first`,
  };
}

/** Step 1: the version to promote, or why not (unknown version: exit 2; `requires`: exit 1). */
export function selectPromotion(input: PromotionSelectInput): EnvDecision<PromotionChoice> {
  const { id, env, upstream, versions } = input;
  // a hand-edited pin (here, or the upstream one `requires` relies on) is diagnosed before anything is read from it
  const tampered = tamperCheck([
    { rel: input.targetRel ?? `environments/${env}.yaml`, id, pin: own(input.target.prompts, id) },
    ...(upstream ? [{ rel: upstream.rel ?? `environments/${upstream.name}.yaml`, id, pin: own(upstream.file.prompts, id) }] : []),
  ]);
  if (tampered) return tampered;
  let version: string;
  let source: PromotionChoice['source'];
  if (input.requestedVersion !== undefined) {
    version = input.requestedVersion;
    source = 'requested';
  } else if (upstream) {
    const up = own(upstream.file.prompts, id);
    if (!up) {
      return refused({
        code: 'nothing-to-promote',
        exit: 1,
        message: `nothing to promote: ${id} is not pinned in "${upstream.name}", which "${env}" requires`,
        hint: `promote it to ${upstream.name} first ("prompts promote ${id} --env ${upstream.name}"), or name a version: ${id}@<version>`,
      });
    }
    version = up.version;
    source = 'upstream';
  } else {
    const latest = latestVersion(versions);
    if (latest === undefined) return refused({ code: 'unknown-version', exit: 2, message: `prompt "${id}" has no versions` });
    version = latest;
    source = 'latest';
  }
  if (!versions.includes(version)) {
    return refused({
      code: 'unknown-version',
      exit: 2,
      message: `prompt "${id}" has no version ${version}`,
      hint: versions.length ? `versions of ${id}: ${versions.join(', ')}` : `create it with "prompts new ${id}"`,
    });
  }
  if (upstream && !wasPinned(upstream.file, id, version)) {
    const now = own(upstream.file.prompts, id)?.version;
    return refused({
      code: 'requires',
      exit: 1,
      message: `refused: ${id}@${version} has never been pinned in "${upstream.name}", and "${env}" requires it to be (promotion order: ${upstream.name} -> ${env})`,
      hint: now
        ? `${upstream.name} pins ${id}@${now}; promote ${version} there first ("prompts promote ${id}@${version} --env ${upstream.name}")`
        : `promote it there first ("prompts promote ${id}@${version} --env ${upstream.name}")`,
    });
  }
  const running = rolloutRunning(input.target, id, env, input.change ?? 'a promotion');
  if (running) return refused(running);
  const current = own(input.target.prompts, id);
  if (current?.version === version) return alreadyPinned(id, env, version);
  return { kind: 'choice', id, env, version, from: current?.version ?? null, source, upstream: upstream?.name ?? null };
}

function alreadyPinned(id: string, env: string, version: string): NoChange {
  return { kind: 'noop', action: 'promote', id, env, version, text: `${id}@${version} is already pinned in ${env}; nothing to do`, message: 'already pinned' };
}

/**
 * What decides whether a version may be pinned (promote) or become a rollout's candidate
 * (rollout start): its bytes, its gate, its evidence. One set of rules for both.
 */
export interface PinEvidenceInput {
  choice: PromotionChoice;
  /** the target environment's gate, or null */
  gate: GateConfig | null;
  /** --skip-eval (with its --reason) */
  skipEval: boolean;
  /** --report <file>: the gate's evidence is that report (verified by the gate), not a run */
  report?: string;
  /** the prompt's eval suite (registry-relative) and whether it exists: a gate needs one */
  suite: { file: string; exists: boolean };
  /** the gate's outcome once it ran, or why it could not run; absent: not run yet */
  outcome?: GateOutcome | { unavailable: string };
  /** registry-relative path of the version file */
  versionFile: string;
  /** sha256 of the version file's bytes */
  sha256: string;
  /** this prompt's pin in every environment (config order), the target included */
  pins: readonly PinIn[];
  /** sha256 of every other file the version is resolved from (its partials and parents); recorded in the pin */
  deps?: DepsMap;
  /** the deps every pin and history entry of every environment recorded (needed when `deps` is not empty) */
  depRecords?: readonly DepsRecord[];
  /** the target requires approvals (SPEC §15): the recorded approvals with their git facts */
  approvals?: ApprovalRuleInput;
  /** the target requires signed commits: the change's commit is signed and must verify */
  signed?: boolean;
}

export interface PromotionInput extends PinEvidenceInput {
  /** registry-relative path of the environment file */
  file: string;
  reason: string | null;
  /** ISO time and who, recorded in the pin and its history entry */
  at: string;
  by: string;
  historyLimit: number;
}

/** What the gate decided (or that it still has to run), for the plan of a promote or a rollout start. */
export interface PinEvidence {
  kind: 'evidence';
  /** the gate's summary once it passed; null without a gate, with --skip-eval, or while pending */
  eval: EvalSummary | null;
  /** --skip-eval bypassed a gate (recorded) */
  skipped: boolean;
  /** the gate still has to run (the plan is pending on 'gate') */
  pending: boolean;
  /** "min_pass_rate 0.8, no_regressions", or null: no gate */
  gateDesc: string | null;
  /** the dry run's `gate:` line */
  preview: PreviewLine;
  /** the dry run's JSON `gate` */
  planJson: Record<string, unknown> | null;
  /** notes before the change (a flag with nothing to do) */
  before: string[];
  /** the deps the pin records (only when the version has partials or parents) */
  deps?: DepsMap;
  /** the dry run's `deps:` line, when there are deps */
  depsPreview: PreviewLine[];
  /** the approvals that counted (null: the target requires none) */
  approvals: ApprovalVerdict['counted'] | null;
}

/**
 * The rules a version must pass to be pinned, or to go to any share of the keys: the bytes are
 * the bytes recorded for it wherever it was pinned (integrity), and the target's gate passed (or
 * was bypassed with --skip-eval, recorded). Without the gate's outcome yet, `pending`.
 */
export function pinEvidence(input: PinEvidenceInput): PinEvidence | Refused {
  const { choice, gate, skipEval } = input;
  const { id, env, version } = choice;
  // the recorded digests below are evidence only when promptrail wrote them
  const tampered = tamperCheck(input.pins.map((p) => ({ rel: p.rel ?? `environments/${p.env}.yaml`, id, pin: p.pin })));
  if (tampered) return tampered;
  const mismatch = integrityMismatch(version, input.sha256, input.pins);
  if (mismatch) {
    return refused({
      code: 'integrity',
      exit: 1,
      message: `refused: ${input.versionFile} changed after ${id}@${version} was pinned in "${mismatch[0]!.env}": its sha256 is ${short(input.sha256)}, recorded ${short(mismatch[0]!.sha256)}`,
      file: input.versionFile,
      hint: 'version files are immutable: restore the pinned bytes from git, or bump a new version and promote that',
    });
  }
  const deps = input.deps && Object.keys(input.deps).length ? input.deps : undefined;
  const depChanged = deps ? depsMismatch(deps, input.depRecords ?? []) : null;
  if (depChanged) return refused(depRefusal(`${id}@${version}`, depChanged));
  // approvals before the gate: a version nobody approved is refused without running an eval
  const unapproved = input.approvals ? approvalRefusal(input.approvals, choice.from === null ? 'promoting' : 'changing the pin') : null;
  if (unapproved) return unapproved;
  const approved = input.approvals && input.approvals.required > 0 ? approvalVerdict(input.approvals).counted : null;
  const gateDesc = gateText(gate);
  const runsGate = gate !== null && !skipEval;
  // a gate needs the prompt's suite: say so before anything, so --dry-run predicts the refusal
  if (runsGate && !input.suite.exists) {
    return refused({
      code: 'gate-unavailable',
      exit: 1,
      message: `refused: the gate of "${env}" (${gateDesc}) cannot run: prompt "${id}" has no eval suite: add ${input.suite.file} (cases with assertions), or promote with --skip-eval --reason <text>`,
    });
  }
  let evalSummary: EvalSummary | null = null;
  const outcome = input.outcome;
  if (runsGate && outcome) {
    if ('unavailable' in outcome) {
      return refused({
        code: 'gate-unavailable',
        exit: 1,
        message: `refused: the gate of "${env}" (${gateDesc}) cannot run: ${outcome.unavailable}`,
        hint: /--skip-eval/.test(outcome.unavailable) ? undefined : 'fix the eval setup, or bypass it with --skip-eval --reason <text> (recorded)',
      });
    }
    if (!outcome.passed) {
      const list = outcome.failures.map((f) => `\n  - ${f}`).join('');
      return refused({
        code: 'gate-failed',
        exit: 1,
        message: `refused: ${id}@${version} did not pass the gate of "${env}" (${gateDesc})${outcome.failures[0] ? `: ${outcome.failures[0]}` : ''}`,
        hint: outcome.failures.length > 1 ? `${outcome.failures.length} reasons, listed above` : 'see "prompts eval" for the details',
        detail: [`gate of ${env} failed for ${id}@${version}: ${evalLine(outcome.summary) ?? ''}${list}`],
      });
    }
    evalSummary = outcome.summary;
  }
  return {
    kind: 'evidence',
    eval: evalSummary,
    skipped: gate !== null && skipEval,
    pending: runsGate && !outcome,
    gateDesc,
    preview: ['gate', gate ? (skipEval ? `${gateDesc} — skipped (--skip-eval)` : evalSummary ? `${gateDesc} — passed${input.report !== undefined ? ` (--report ${input.report})` : ''}: ${evalLine(evalSummary) ?? ''}` : `${gateDesc} — would ${input.report !== undefined ? `check --report ${input.report}` : 'run'}`) : 'none'],
    planJson: gate ? (skipEval ? { config: gate, run: false, skipped: true } : { config: gate, run: true, ...(input.report !== undefined ? { report: input.report } : {}), ...(evalSummary ? { passed: true, eval: evalSummary } : {}) }) : null,
    before: gate ? [] : skipEval ? [`note: "${env}" has no gate; --skip-eval has nothing to skip`] : input.report !== undefined ? [`note: "${env}" has no gate; --report is not needed`] : [],
    ...(deps ? { deps } : {}),
    depsPreview: deps ? [['deps', depsLine(deps)]] : [],
    approvals: approved,
  };
}

/** The dry run's `approvals:` line, when the target requires approvals. */
export function approvalsPreview(ev: PinEvidence): PreviewLine[] {
  return ev.approvals ? [['approvals', ev.approvals.map((a) => `${a.by} (${a.commit.slice(0, 12)})`).join(', ')]] : [];
}

/** What the command measured and decided, written into the pin and its history entry. */
export interface PromotionRecord {
  sha256: string;
  /** the closure's other files (only when there are any) */
  deps?: DepsMap;
  at: string;
  by: string;
  reason?: string;
  eval?: EvalSummary;
  skipEval?: boolean;
}

/** Step 2: the plan (pending on 'gate' until the gate's outcome is given), or the refusals. */
export function planPromotion(input: PromotionInput): EnvChangePlan | Refused {
  const { choice } = input;
  const { id, env, version } = choice;
  const ev = pinEvidence(input);
  if (ev.kind === 'refused') return ev;
  const evalSummary = ev.eval;
  const skipped = ev.skipped;
  const deps = ev.deps;
  const rec: PromotionRecord = { sha256: input.sha256, deps, at: input.at, by: input.by, reason: input.reason ?? undefined, eval: evalSummary ?? undefined, skipEval: skipped };
  const preview: PreviewLine[] = [['file', input.file], ['sha256', input.sha256], ...ev.depsPreview, ev.preview, ...approvalsPreview(ev)];
  return {
    kind: 'change',
    action: 'promote',
    id,
    env,
    from: choice.from,
    to: version,
    file: input.file,
    reason: input.reason,
    subject: commitSubject('promote', env, id, choice.from, version),
    body: commitBody({ reason: input.reason, eval: evalSummary, skipEval: skipped, id, version, sha256: input.sha256, gate: ev.gateDesc, deps }),
    mutate: (fresh) => {
      const running = rolloutRunning(fresh, id, env, 'promotion', 3);
      if (running) return refusal(running);
      const now = own(fresh.prompts, id)?.version ?? null;
      if (now !== choice.from) {
        return refusal({
          code: 'conflict',
          exit: 3,
          message: `${id} in "${env}" changed while this promotion was prepared (it was ${choice.from ?? 'not pinned'}, now ${now ?? 'not pinned'})`,
          hint: 'run the command again to plan against the current file',
        });
      }
      return applyPromotion(fresh, { id, version }, rec, input.historyLimit);
    },
    scope: id,
    pending: ev.pending ? 'gate' : null,
    signed: input.signed ?? false,
    words: {
      would: 'would promote',
      done: 'promoted',
      note: choice.source === 'upstream' ? ` (what ${choice.upstream} pins)` : choice.source === 'latest' ? ' (latest version)' : undefined,
    },
    preview,
    json: {
      plan: {
        source: choice.source,
        sha256: input.sha256,
        ...(deps ? { deps } : {}),
        gate: ev.planJson,
        ...(ev.approvals ? { approvals: ev.approvals } : {}),
      },
      result: { sha256: input.sha256, ...(deps ? { deps } : {}), eval: evalSummary, skipEval: skipped, ...(ev.approvals ? { approvals: ev.approvals } : {}) },
    },
    before: ev.before,
    after: evalSummary ? [`eval: ${evalLine(evalSummary)}`] : [],
  };
}

/** Drops undefined values so the serialized file holds only what was recorded. */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Returns a new environment file with `version` pinned for `id` (the input is not modified). */
export function applyPromotion(target: EnvironmentFile, change: { id: string; version: string }, rec: PromotionRecord, historyLimit: number): EnvironmentFile {
  const old = own(target.prompts, change.id);
  const entry: NewHistoryEntry = compact({
    action: 'promote' as const,
    version: change.version,
    from: old?.version ?? null,
    sha256: rec.sha256,
    deps: rec.deps,
    at: rec.at,
    by: rec.by,
    reason: rec.reason,
    eval: rec.eval,
    skip_eval: rec.skipEval ? true : undefined,
  });
  const pin: EnvPin = compact({
    version: change.version,
    sha256: rec.sha256,
    deps: rec.deps,
    previous: old?.version ?? null,
    promoted_at: rec.at,
    promoted_by: rec.by,
    reason: rec.reason,
    eval: rec.eval,
    history: recordEntry(old?.history, entry, historyLimit),
  });
  return { ...target, prompts: { ...target.prompts, [change.id]: pin } };
}

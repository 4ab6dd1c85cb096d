/**
 * Promotion as a pure plan (SPEC §4): which version goes where, whether `requires` allows it,
 * and the new environment file once the plan is applied. No fs, no git, no clock: the command
 * gathers the inputs and supplies the record (sha256, time, who, eval).
 */
import { CheckFailed, UsageError } from '../errors.js';
import { latestVersion } from './ref.js';
import type { EnvironmentConfig, EnvironmentFile, EnvPin, EvalSummary, GateConfig, HistoryEntry } from './types.js';

export interface PromotionInput {
  id: string;
  /** from `<id>@<version>`; absent = what the upstream env pins (or the latest without upstream) */
  requestedVersion?: string;
  env: string;
  envConfig: EnvironmentConfig;
  /** the target environment file as read now */
  target: EnvironmentFile;
  /** the `requires` environment, when the target has one */
  upstream?: { name: string; file: EnvironmentFile };
  /** the prompt's existing versions (ascending) */
  versions: readonly string[];
}

export interface PromotionPlan {
  kind: 'promote';
  id: string;
  env: string;
  version: string;
  /** the version pinned now, or null */
  from: string | null;
  /** the gate of the target environment, when it has one */
  gate: GateConfig | null;
  /** how the version was chosen, for messages */
  source: 'requested' | 'upstream' | 'latest';
}

export interface AlreadyPinned {
  kind: 'noop';
  id: string;
  env: string;
  version: string;
}

/** What the command measured and decided, written into the pin and its history entry. */
export interface PromotionRecord {
  sha256: string;
  at: string;
  by: string;
  reason?: string;
  eval?: EvalSummary;
  skipEval?: boolean;
}

/**
 * Was `version` ever pinned in `file` for `id` (now, as the recorded previous, or in its history,
 * where the `from` of an entry counts too: it survives one entry longer when history_limit cuts)?
 */
export function wasPinned(file: EnvironmentFile, id: string, version: string): boolean {
  const pin = file.prompts[id];
  if (!pin) return false;
  if (pin.version === version || pin.previous === version) return true;
  return pin.history.some((h) => h.version === version || h.from === version);
}

/**
 * Decides what `promote` would do. Throws UsageError (exit 2) for an unknown version and
 * CheckFailed (exit 1) when `requires` refuses it.
 */
export function planPromotion(input: PromotionInput): PromotionPlan | AlreadyPinned {
  const { id, env, upstream, versions } = input;
  let version: string;
  let source: PromotionPlan['source'];
  if (input.requestedVersion !== undefined) {
    version = input.requestedVersion;
    source = 'requested';
  } else if (upstream) {
    const up = upstream.file.prompts[id];
    if (!up) {
      throw new CheckFailed(`nothing to promote: ${id} is not pinned in "${upstream.name}", which "${env}" requires`, {
        hint: `promote it to ${upstream.name} first ("prompts promote ${id} --env ${upstream.name}"), or name a version: ${id}@<version>`,
      });
    }
    version = up.version;
    source = 'upstream';
  } else {
    const latest = latestVersion(versions);
    if (latest === undefined) throw new UsageError(`prompt "${id}" has no versions`);
    version = latest;
    source = 'latest';
  }
  if (!versions.includes(version)) {
    throw new UsageError(`prompt "${id}" has no version ${version}`, {
      hint: versions.length ? `versions of ${id}: ${versions.join(', ')}` : `create it with "prompts new ${id}"`,
    });
  }
  if (upstream && !wasPinned(upstream.file, id, version)) {
    const now = upstream.file.prompts[id]?.version;
    throw new CheckFailed(
      `refused: ${id}@${version} has never been pinned in "${upstream.name}", and "${env}" requires it to be (promotion order: ${upstream.name} -> ${env})`,
      {
        hint: now
          ? `${upstream.name} pins ${id}@${now}; promote ${version} there first ("prompts promote ${id}@${version} --env ${upstream.name}")`
          : `promote it there first ("prompts promote ${id}@${version} --env ${upstream.name}")`,
      },
    );
  }
  const current = input.target.prompts[id];
  if (current?.version === version) return { kind: 'noop', id, env, version };
  return { kind: 'promote', id, env, version, from: current?.version ?? null, gate: input.envConfig.gate ?? null, source };
}

/** Drops undefined values so the serialized file holds only what was recorded. */
function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}

/** Returns a new environment file with the plan applied (the input is not modified). */
export function applyPromotion(target: EnvironmentFile, plan: PromotionPlan, rec: PromotionRecord, historyLimit: number): EnvironmentFile {
  const old = target.prompts[plan.id];
  const entry: HistoryEntry = compact({
    action: 'promote' as const,
    version: plan.version,
    from: old?.version ?? null,
    sha256: rec.sha256,
    at: rec.at,
    by: rec.by,
    reason: rec.reason,
    eval: rec.eval,
    skip_eval: rec.skipEval ? true : undefined,
  });
  const pin: EnvPin = compact({
    version: plan.version,
    sha256: rec.sha256,
    previous: old?.version ?? null,
    promoted_at: rec.at,
    promoted_by: rec.by,
    reason: rec.reason,
    eval: rec.eval,
    history: [entry, ...(old?.history ?? [])].slice(0, Math.max(1, historyLimit)),
  });
  return { ...target, prompts: { ...target.prompts, [plan.id]: pin } };
}

/**
 * Compare-and-swap support: the plan was made against one file; `fresh` is what is on disk
 * under the lock. Returns the plan to apply to `fresh`, or a reason it cannot be (exit 3).
 * Other prompts changing is fine (their pins are kept); this prompt's pin changing is not.
 */
export function recheckPromotion(plan: PromotionPlan, fresh: EnvironmentFile): PromotionPlan | { conflict: string } {
  const now = fresh.prompts[plan.id]?.version ?? null;
  if (now !== plan.from) {
    return {
      conflict: `${plan.id} in "${plan.env}" changed while this promotion was prepared (it was ${plan.from ?? 'not pinned'}, now ${now ?? 'not pinned'})`,
    };
  }
  return plan;
}

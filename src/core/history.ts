/**
 * The audit trail (SPEC §6 `history`): how an entry is recorded in a pin's history (one function
 * for promote, rollback and every rollout step), and the env-file history entries merged with the
 * git commits that wrote them. An entry and a commit match on environment, action, from and to
 * (and a rollout step's weight), nearest in time; entries without a commit (--no-commit, outside
 * git) and commits whose entry was dropped by `history_limit` both stay in the trail. Pure.
 */
import type { EvalSummary, HistoryAction, HistoryEntry } from './types.js';
import { ROLLOUT_ACTIONS } from './types.js';
import { recordHistory, type NewHistoryEntry } from './env-chain.js';

/**
 * The pin's history with `entry` recorded: newest first, bounded by `history_limit`, chained
 * (SPEC §15: the entry's digest covers its predecessor's, core/env-chain.ts recordHistory; a
 * history written before chains is migrated). Every env-changing plan (promote, rollback, every
 * rollout step) records its entry through here.
 */
export function recordEntry(history: readonly HistoryEntry[] | undefined, entry: NewHistoryEntry, historyLimit: number): HistoryEntry[] {
  return recordHistory(history ?? [], entry, historyLimit);
}

/** A rollout step (start, set, abort, complete) rather than a promote or rollback. */
export function isRolloutStep(action: HistoryAction): boolean {
  return (ROLLOUT_ACTIONS as readonly string[]).includes(action);
}

/**
 * The versions an entry made (or found) the pinned version: both of a promote or rollback, the
 * stable (`from`) of a rollout step, and the candidate too once a rollout completed. A candidate
 * that only served part of the keys was never "pinned" (for `requires`, or as a rollback target).
 */
export function pinnedBy(e: HistoryEntry): (string | null)[] {
  if (!isRolloutStep(e.action)) return [e.version, e.from];
  return e.action === 'rollout-complete' ? [e.version, e.from] : [e.from];
}

/** what a commit of an environment file says; `prompts(<env>): <action> <id> <from> -> <to>` fields are null for other commits */
export interface CommitFacts {
  hash: string;
  author: string;
  /** author date, ISO 8601 strict */
  date: string;
  env: string | null;
  action: HistoryAction | null;
  id: string | null;
  from: string | null;
  to: string | null;
  /** a rollout step's weights (subject `… <old>% -> <new>%`); null for others */
  fromWeight: number | null;
  weight: number | null;
  reason: string | null;
  eval: string | null;
}

export interface HistoryRow {
  env: string;
  action: HistoryAction;
  /** promote/rollback: the versions before and after; a rollout step: the stable and the candidate */
  from: string | null;
  to: string;
  /** a rollout step: the candidate's weight before and after it (fromWeight null when not recorded) */
  fromWeight: number | null;
  weight: number | null;
  /** when (the env-file entry's time, else the commit's author date) */
  at: string;
  by: string;
  reason: string | null;
  eval: EvalSummary | null;
  /** the commit body's eval line when the entry is gone from the env file */
  evalText: string | null;
  skipEval: boolean;
  sha256: string | null;
  commit: { hash: string; author: string; date: string } | null;
  source: 'env-file' | 'git' | 'both';
}

export function mergeHistory(id: string, envs: { env: string; entries: readonly HistoryEntry[] }[], commits: readonly CommitFacts[]): HistoryRow[] {
  const mine = commits.filter((c) => c.id === id && c.env !== null && c.action !== null && c.to !== null);
  const used = new Set<number>();
  const rows: HistoryRow[] = [];
  for (const { env, entries } of envs) {
    entries.forEach((e, k) => {
      const t = Date.parse(e.at);
      let best = -1;
      let bestDist = Infinity;
      mine.forEach((c, i) => {
        if (used.has(i) || c.env !== env || c.action !== e.action || c.to !== e.version || c.from !== e.from) return;
        if (c.weight !== null && e.weight !== undefined && c.weight !== e.weight) return;
        const dist = Math.abs(Date.parse(c.date) - t);
        if (dist < bestDist) {
          best = i;
          bestDist = dist;
        }
      });
      const c = best >= 0 ? mine[best]! : undefined;
      if (c) used.add(best);
      rows.push({
        env,
        action: e.action,
        from: e.from,
        to: e.version,
        fromWeight: isRolloutStep(e.action) ? (weightBefore(entries, k) ?? c?.fromWeight ?? null) : null,
        weight: e.weight ?? c?.weight ?? null,
        at: e.at,
        by: e.by,
        reason: e.reason ?? null,
        eval: e.eval ?? null,
        evalText: c?.eval ?? null,
        skipEval: Boolean(e.skip_eval),
        sha256: e.sha256 ?? null,
        commit: c ? { hash: c.hash, author: c.author, date: c.date } : null,
        source: c ? 'both' : 'env-file',
      });
    });
  }
  const wanted = new Set(envs.map((e) => e.env));
  mine.forEach((c, i) => {
    if (used.has(i) || !wanted.has(c.env!)) return;
    rows.push({
      env: c.env!,
      action: c.action!,
      from: c.from,
      to: c.to!,
      fromWeight: c.fromWeight,
      weight: c.weight,
      at: c.date,
      by: c.author,
      reason: c.reason,
      eval: null,
      evalText: c.eval,
      skipEval: /skipped/.test(c.eval ?? ''),
      sha256: null,
      commit: { hash: c.hash, author: c.author, date: c.date },
      source: 'git',
    });
  });
  // newest first; within one second (timestamps have seconds), git's commit order decides, and
  // an entry without a commit (--no-commit, written after the last commit) comes first
  const rank = new Map(mine.map((c, i) => [c.hash, i + 1]));
  const r = (x: HistoryRow): number => (x.commit ? (rank.get(x.commit.hash) ?? 0) : 0);
  return rows.sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || r(a) - r(b));
}

/** The candidate's weight before the rollout step `entries[k]` (newest first): 0 for a start, else the previous step's. */
function weightBefore(entries: readonly HistoryEntry[], k: number): number | null {
  const e = entries[k]!;
  if (e.action === 'rollout-start') return 0;
  const older = entries[k + 1];
  if (!older || !isRolloutStep(older.action) || older.version !== e.version || older.from !== e.from) return null;
  return older.weight ?? null;
}

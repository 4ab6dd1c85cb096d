/**
 * The audit trail (SPEC §6 `history`): env-file history entries merged with the git commits that
 * wrote them. An entry and a commit match on environment, action, from and to, nearest in time;
 * entries without a commit (--no-commit, outside git) and commits whose entry was dropped by
 * `history_limit` both stay in the trail. Pure.
 */
import type { EvalSummary, HistoryEntry } from './types.js';

/** what a commit of an environment file says; `prompts(<env>): <action> <id> <from> -> <to>` fields are null for other commits */
export interface CommitFacts {
  hash: string;
  author: string;
  /** author date, ISO 8601 strict */
  date: string;
  env: string | null;
  action: 'promote' | 'rollback' | null;
  id: string | null;
  from: string | null;
  to: string | null;
  reason: string | null;
  eval: string | null;
}

export interface HistoryRow {
  env: string;
  action: 'promote' | 'rollback';
  from: string | null;
  to: string;
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
    for (const e of entries) {
      const t = Date.parse(e.at);
      let best = -1;
      let bestDist = Infinity;
      mine.forEach((c, i) => {
        if (used.has(i) || c.env !== env || c.action !== e.action || c.to !== e.version || c.from !== e.from) return;
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
    }
  }
  const wanted = new Set(envs.map((e) => e.env));
  mine.forEach((c, i) => {
    if (used.has(i) || !wanted.has(c.env!)) return;
    rows.push({
      env: c.env!,
      action: c.action!,
      from: c.from,
      to: c.to!,
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

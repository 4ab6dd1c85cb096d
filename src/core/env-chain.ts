/**
 * The history chain of a pin (SPEC §15): environment files are written only by promptrail, and
 * this is how a file says so. Pure (sha256 is computation, not I/O).
 *
 * The rule, exactly:
 *
 *   digest(e) = hex(sha256(P + canonicalJson(e without its `digest` and `prev` keys)))   (UTF-8)
 *
 * where P, the digest of e's predecessor, is
 *   - the `digest` of the entry just below e in `history` (history is newest first), or
 *   - for the oldest entry kept: its `prev` — the digest of the entry `history_limit` dropped
 *     below it — or "" when it has no `prev` (it is the first entry recorded for this pin).
 *
 * `prev` is written on the oldest kept entry only, when truncation drops its predecessor; it is
 * not part of the entry's digest, so truncating never changes a digest and a cut history still
 * verifies from its oldest entry up. canonicalJson: keys sorted by UTF-16 code units, no white
 * space (core/canonical-json.ts).
 *
 * The pin must equal what its newest entry recorded: `version`, `sha256`, `deps`, `promoted_at` (the
 * entry's `at`), `promoted_by` (`by`), `reason`, `eval`, and `previous` (the entry's `previous`
 * when it has one — a rollback records it — else its `from`). And each entry starts from what the
 * entry below it left active (`from` = the older entry's `version`).
 *
 * `recordHistory` is the ONE function through which every env-changing command (promote,
 * rollback, every rollout step; through core/history.ts recordEntry) adds a history entry: it chains the entry onto the newest
 * one, migrates a history written before chains existed (no digests: chained from its oldest
 * entry, as if it were the first), and truncates to `history_limit` keeping the chain verifiable.
 *
 * What this proves, and what not: the chain is unkeyed. It detects a pin or an entry edited by
 * hand without recomputing the digests (the usual hand edit, a bad merge, a sloppy forgery), and
 * lets `validate --base` prove that history was only appended to. Anyone who can write the file
 * can also recompute every digest: authorship comes from git (promptrail's commits, review,
 * signatures), not from this chain.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './json.js';
import { refusal, type Refusal, type Refused } from './env-change.js';
import type { DepsMap, EnvironmentFile, EnvPin, EvalSummary, HistoryEntry } from './types.js';

/** P for the first entry ever recorded for a pin. */
export const CHAIN_GENESIS = '';

/** A history entry as a command makes it: everything but the chain's own keys. */
export type NewHistoryEntry = Omit<HistoryEntry, 'digest' | 'prev'>;

/** canonicalJson of the entry without `digest` and `prev`: the bytes its digest covers (after P). */
export function entryContent(e: HistoryEntry): string {
  const { digest: _d, prev: _p, ...rest } = e;
  return canonicalJson(rest);
}

/** digest(e) for predecessor digest `prev` (CHAIN_GENESIS for the first entry). */
export function entryDigest(prev: string, e: HistoryEntry): string {
  return createHash('sha256').update(prev).update(entryContent(e)).digest('hex');
}

/** Recomputes the digests of a whole history from its oldest entry (its `prev` kept): newest first. */
function chainAll(history: readonly HistoryEntry[]): HistoryEntry[] {
  const n = history.length;
  const out = new Array<HistoryEntry>(n);
  let p = history[n - 1]?.prev ?? CHAIN_GENESIS;
  for (let i = n - 1; i >= 0; i--) {
    const { digest: _d, prev, ...rest } = history[i]!;
    const digest = entryDigest(p, rest);
    out[i] = i === n - 1 && prev !== undefined ? { ...rest, prev, digest } : { ...rest, digest };
    p = digest;
  }
  return out;
}

/**
 * The pin's history with `entry` recorded as its newest entry: chained onto the newest one,
 * truncated to `limit` (at least 1) with `prev` on the oldest kept entry when one was dropped
 * below it. A history without digests (written before chains) is chained first, from its oldest
 * entry. Callers verify the pin first (`verifyPin`): this never judges what it is given. Pure.
 */
export function recordHistory(history: readonly HistoryEntry[], entry: NewHistoryEntry, limit: number): HistoryEntry[] {
  const base = history.some((h) => h.digest === undefined) ? chainAll(history) : history;
  const { digest: _d, prev: _p, ...content } = entry as HistoryEntry;
  const e: HistoryEntry = { ...content, digest: entryDigest(base[0]?.digest ?? CHAIN_GENESIS, content) };
  const all = [e, ...base];
  const keep = Math.max(1, Math.floor(limit));
  if (all.length <= keep) return all;
  const kept = all.slice(0, keep);
  const oldest = kept[keep - 1]!;
  kept[keep - 1] = { ...oldest, prev: all[keep]!.digest! };
  return kept;
}

/** The same history chained as if newly migrated (legacy entries get digests); chained input is returned as is. */
export function migrateHistory(history: readonly HistoryEntry[]): readonly HistoryEntry[] {
  return history.some((h) => h.digest === undefined) ? chainAll(history) : history;
}

export interface ChainProblem {
  /** a pin field that disagrees with the newest entry, or the entry (index in `history`, 0 = newest) that is wrong */
  field?: keyof EnvPin;
  entry?: number;
  message: string;
}

export interface ChainVerdict {
  /** chained: every entry carries a verified digest; legacy: none does (written before chains) and nothing contradicts */
  status: 'chained' | 'legacy' | 'tampered';
  problems: ChainProblem[];
}

/** "promote 1.1.0 -> 1.2.0 at 2026-11-22T10:04:11Z", "rollout-set 1.1.0 -> 1.2.0 (25%) at …" */
export function describeEntry(e: HistoryEntry): string {
  return `${e.action} ${e.from ?? 'none'} -> ${e.version}${e.weight !== undefined && e.action.startsWith('rollout-') ? ` (${e.weight}%)` : ''} at ${e.at}`;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : typeof v === 'string' ? v : JSON.stringify(v));
/** A deps map as messages show it and as it compares (canonical JSON; none and {} are the same: nothing recorded). */
const showDeps = (d: DepsMap | undefined): string | undefined => (d === undefined || Object.keys(d).length === 0 ? undefined : canonicalJson(d));
const sameEval = (a: EvalSummary | undefined, b: EvalSummary | undefined): boolean => (a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b));

/** The entries that set the pin's own fields: a promote, a rollback, a completed rollout. */
const PIN_SETTERS: ReadonlySet<string> = new Set(['promote', 'rollback', 'rollout-complete']);
/** The entries after which a rollout runs (its block must say what they recorded). */
const ROLLOUT_RUNNING: ReadonlySet<string> = new Set(['rollout-start', 'rollout-set']);

/** The version an entry left pinned: a rollout step short of completion leaves the stable (`from`). */
function activeAfter(e: HistoryEntry): string | null {
  return PIN_SETTERS.has(e.action) ? e.version : e.from;
}

/** The rollout-start of the rollout `h[i]` belongs to (rollout-set entries of the same candidate between), or its index -1 when history_limit dropped it. */
function rolloutStartOf(h: readonly HistoryEntry[], i: number): number {
  const e = h[i]!;
  for (let j = i; j < h.length; j++) {
    const x = h[j]!;
    if (x.version !== e.version || x.from !== e.from) return -1;
    if (x.action === 'rollout-start') return j;
    if (x.action !== 'rollout-set' && j !== i) return -1;
  }
  return -1;
}

/**
 * What the entry `h[i]` set the pin's fields to; a field the entry does not say is left out:
 * entries written before chains may lack `sha256`, and their rollbacks did not record
 * `previous` or the eval they kept (a rollback promptrail writes now always has `previous`). A
 * completed rollout pins its candidate with the evidence its rollout-start recorded.
 */
function recordedPin(h: readonly HistoryEntry[], i: number): Partial<Record<keyof EnvPin, unknown>> {
  const e = h[i]!;
  const out: Partial<Record<keyof EnvPin, unknown>> = { version: e.version, promoted_at: e.at, promoted_by: e.by, reason: e.reason };
  if (e.sha256 !== undefined) out.sha256 = e.sha256;
  // the closure's digests are recorded with the version (a completed rollout's are its candidate's)
  out.deps = e.deps;
  if (e.action === 'rollout-complete') {
    out.previous = e.from;
    const start = rolloutStartOf(h, i);
    if (start >= 0) out.eval = h[start]!.eval;
  } else if (e.action === 'promote' || 'previous' in e) {
    out.previous = 'previous' in e ? e.previous : e.from;
    out.eval = e.eval;
  }
  return out;
}

/** The first way the pin's rollout block disagrees with its newest entry, or null. */
function rolloutProblem(pin: EnvPin): ChainProblem | null {
  const h = pin.history;
  const newest = h[0]!;
  const r = pin.rollout;
  const running = ROLLOUT_RUNNING.has(newest.action);
  if (r && !running) {
    return { field: 'rollout', message: `the pin has a rollout of ${r.version} at ${r.weight}%, but its newest history entry (${describeEntry(newest)}) runs none: the rollout block was added or edited by hand` };
  }
  if (!r && running) {
    return { field: 'rollout', message: `its newest history entry (${describeEntry(newest)}) leaves a rollout of ${newest.version} running, but the pin has no rollout block: it was removed by hand (a rollout ends with "rollout abort" or "rollout complete")` };
  }
  if (!r) return null;
  const want: [string, unknown, unknown][] = [
    ['version', r.version, newest.version],
    ['sha256', r.sha256, newest.sha256 ?? r.sha256],
    ['weight', r.weight, newest.weight],
    ['updated_at', r.updated_at, newest.at],
    ['deps', showDeps(r.deps), showDeps(newest.deps)],
  ];
  const start = rolloutStartOf(h, 0);
  if (start >= 0) {
    const s = h[start]!;
    want.push(['started_at', r.started_at, s.at], ['started_by', r.started_by, s.by]);
    if (!sameEval(r.eval, s.eval)) want.push(['eval', show(r.eval), show(s.eval)]);
  }
  for (const [key, got, rec] of want) {
    if (got === rec) continue;
    return { field: 'rollout', message: `the pin's rollout.${key} is ${show(got)}, but its history (${describeEntry(key.startsWith('started') || key === 'eval' ? h[start]! : newest)}) recorded ${show(rec)}: the rollout was edited by hand` };
  }
  return null;
}

/**
 * Does `pin` say exactly what promptrail wrote? Checks, in this order: the pin has a history;
 * every entry's digest (or, when no entry has one, that the file predates chains); each entry
 * starts from what the one below it left pinned; the pin's fields equal what its newest
 * promote, rollback or completed rollout recorded (and its version what the newest entry left
 * pinned); a rollout block is there exactly when the newest entry leaves one running, and says
 * what the rollout's entries recorded (candidate, sha256, deps, weight, times, who, evidence). Every
 * problem is a sentence naming the edit (without the file and prompt, which the caller adds).
 * Not covered: a rollout's salt and stages (no entry records them; the commit body does).
 */
export function verifyPin(pin: EnvPin): ChainVerdict {
  const h = pin.history;
  const problems: ChainProblem[] = [];
  if (h.length === 0) {
    return { status: 'tampered', problems: [{ field: 'history', message: 'the pin has no history entry, so no promptrail command wrote it: it was added or edited by hand' }] };
  }
  const chained = h.filter((e) => e.digest !== undefined).length;
  const legacy = chained === 0;
  if (!legacy) {
    // from the oldest entry up: the first break is where the edit is
    let p = h[h.length - 1]!.prev ?? CHAIN_GENESIS;
    for (let i = h.length - 1; i >= 0; i--) {
      const e = h[i]!;
      if (e.digest === undefined) {
        problems.push({ entry: i, message: `history[${i}] (${describeEntry(e)}) has no digest while other entries are chained: it was added or edited by hand` });
        break;
      }
      if (i !== h.length - 1 && e.prev !== undefined) {
        problems.push({ entry: i, message: `history[${i}] (${describeEntry(e)}) carries "prev", which only the oldest entry kept may: the history was edited by hand` });
        break;
      }
      if (entryDigest(p, e) !== e.digest) {
        problems.push({
          entry: i,
          message: `the history chain breaks at history[${i}] (${describeEntry(e)}): its digest does not match its content and the entries below it, so an entry was edited, inserted or removed by hand`,
        });
        break;
      }
      p = e.digest;
    }
  } else if (h.some((e) => e.prev !== undefined)) {
    const i = h.findIndex((e) => e.prev !== undefined);
    problems.push({ entry: i, message: `history[${i}] (${describeEntry(h[i]!)}) carries "prev" but no entry has a digest: the history was edited by hand` });
  }
  for (let i = 0; i + 1 < h.length && problems.length === 0; i++) {
    const e = h[i]!;
    const left = activeAfter(h[i + 1]!);
    if (e.from !== left) {
      problems.push({ entry: i, message: `history[${i}] (${describeEntry(e)}) starts from ${e.from ?? 'none'}, but the entry below it left ${left ?? 'none'} active: the history was edited by hand` });
    }
  }
  const newest = h[0]!;
  const setter = h.findIndex((e) => PIN_SETTERS.has(e.action));
  if (setter < 0 && problems.length === 0 && pin.version !== activeAfter(newest)) {
    problems.push({ field: 'version', message: `the pin's version is ${pin.version}, but its newest history entry (${describeEntry(newest)}) left ${activeAfter(newest) ?? 'none'} pinned: the pin was edited by hand` });
  }
  if (setter >= 0 && problems.length === 0) {
    const rec = recordedPin(h, setter);
    const by = h[setter]!;
    for (const field of ['version', 'sha256', 'deps', 'previous', 'promoted_at', 'promoted_by', 'reason', 'eval'] as const) {
      if (!(field in rec)) continue;
      const want = field === 'deps' ? showDeps(rec.deps as DepsMap | undefined) : rec[field];
      const got = field === 'deps' ? showDeps(pin.deps) : pin[field];
      const same = field === 'eval' ? sameEval(got as EvalSummary | undefined, want as EvalSummary | undefined) : (got ?? undefined) === (want ?? undefined);
      if (!same) {
        problems.push({
          field,
          message: `the pin's ${field} is ${show(got)}, but its ${setter === 0 ? 'newest history entry' : 'newest promote, rollback or completed rollout'} (${describeEntry(by)}) recorded ${show(want)}: the pin was edited by hand`,
        });
      }
    }
  }
  if (problems.length === 0) {
    const rp = rolloutProblem(pin);
    if (rp) problems.push(rp);
  }
  return { status: problems.length ? 'tampered' : legacy ? 'legacy' : 'chained', problems };
}

/** How to put a hand-edited environment file back, for messages. */
export function restoreHint(envRel: string): string {
  return `restore the file promptrail wrote ("git log -- ${envRel}" lists its commits; "git checkout <commit> -- ${envRel}"), then promote or roll back again`;
}

/**
 * The refusal of a command that would build on a hand-edited pin (exit 1): promote, rollback and
 * every later env-changing command check the pins they read before deciding anything.
 */
export function tamperRefusal(envRel: string, id: string, verdict: ChainVerdict): Refusal | null {
  const first = verdict.problems[0];
  if (verdict.status !== 'tampered' || !first) return null;
  return refusal({
    code: 'tampered',
    exit: 1,
    message: `refused: ${envRel} was not written by promptrail: ${id}: ${first.message}`,
    file: envRel,
    hint: restoreHint(envRel),
  });
}

/** The file with every history written before chains migrated (chained from its oldest entry); unchanged pins stay the same objects. */
export function migrateFile(file: EnvironmentFile): EnvironmentFile {
  let prompts: Record<string, EnvPin> | null = null;
  for (const [id, pin] of Object.entries(file.prompts)) {
    if (!pin.history.some((h) => h.digest === undefined)) continue;
    prompts ??= { ...file.prompts };
    prompts[id] = { ...pin, history: migrateHistory(pin.history) as HistoryEntry[] };
  }
  return prompts ? { ...file, prompts } : file;
}

/** A pin a command is about to build on, and the environment file (registry-relative) it is in. */
export interface PinToCheck {
  rel: string;
  id: string;
  pin: EnvPin | undefined;
}

/** The first hand-edited pin among `pins`, as the refusal every env-changing command gives (exit 1), or null. */
export function tamperCheck(pins: readonly PinToCheck[]): Refused | null {
  for (const { rel, id, pin } of pins) {
    if (!pin) continue;
    const r = tamperRefusal(rel, id, verifyPin(pin));
    if (r) return { kind: 'refused', refusals: [r] };
  }
  return null;
}

/**
 * History is append-only (SPEC §15): `next` (a pin now) may only add entries on top of `base`
 * (the same pin at a base revision) and drop entries off the bottom when it holds `limit`
 * (history_limit) of them. Entries are compared by content (digest and prev aside), so a file
 * migrated to chains meanwhile still compares. Returns the entries of `next` that are new (newest
 * first) and the problem, if any.
 */
export function appendedEntries(base: EnvPin | undefined, next: EnvPin | undefined, limit: number): { added: HistoryEntry[]; problem: string | null } {
  if (!base) return { added: next?.history ?? [], problem: null };
  const last = base.history[0];
  if (!next) return { added: [], problem: `the pin was removed; promptrail never removes a pin (its history${last ? ` ends with ${describeEntry(last)}` : ''})` };
  if (!last) return { added: next.history, problem: null };
  const key = entryContent(last);
  const at = next.history.findIndex((e) => entryContent(e) === key);
  if (at === -1) return { added: [], problem: `its newest entry then (${describeEntry(last)}) is gone or changed: history is append-only` };
  const kept = next.history.slice(at);
  for (let i = 0; i < kept.length && i < base.history.length; i++) {
    if (entryContent(kept[i]!) !== entryContent(base.history[i]!)) {
      return { added: [], problem: `the entry ${describeEntry(base.history[i]!)} was changed or removed below newer ones: history is append-only` };
    }
  }
  if (kept.length > base.history.length) {
    return { added: [], problem: `${kept.length - base.history.length} entr${kept.length - base.history.length === 1 ? 'y was' : 'ies were'} added below its oldest entry: history is append-only` };
  }
  const dropped = base.history.length - kept.length;
  if (dropped > 0 && next.history.length < Math.max(1, Math.floor(limit))) {
    return { added: [], problem: `${dropped} entr${dropped === 1 ? 'y was' : 'ies were'} removed from the bottom of its history while it holds ${next.history.length}, fewer than history_limit (${limit}): history is append-only` };
  }
  return { added: next.history.slice(0, at), problem: null };
}

/**
 * The shape every environment change takes between `core/` (which decides it) and `apply/`
 * (which carries it out): a plan, a refusal, or nothing to do. Pure data plus one pure function,
 * `mutate`, that applies the change to whatever the environment file holds when it is written
 * (under the lock, and again onto the remote's file when a push must be rebased). A promote,
 * a rollback, and later rollout start/set/advance/abort/complete and approve are all one of these.
 */
import type { EnvironmentFile } from './types.js';

/** Why a change cannot be made. `exit` follows SPEC §7: 1 refused, 2 usage, 3 conflict. */
export interface Refusal {
  kind: 'refusal';
  code: RefusalCode;
  exit: 1 | 2 | 3;
  message: string;
  hint?: string;
  /** registry-relative file the refusal is about */
  file?: string;
  /** lines printed (as a warning) before the refusal, e.g. every reason a gate refused */
  detail?: string[];
}

export type RefusalCode =
  | 'unknown-version'
  | 'nothing-to-promote'
  | 'requires'
  | 'integrity'
  | 'version-missing'
  | 'gate-unavailable'
  | 'gate-failed'
  | 'not-pinned'
  | 'not-in-history'
  | 'chain-exhausted'
  | 'rollout-running'
  | 'no-rollout'
  | 'candidate-is-stable'
  | 'not-pinned-yet'
  | 'bad-weight'
  | 'bad-stages'
  | 'no-next-stage'
  | 'conflict'
  | 'tampered'
  | 'approvals'
  | 'self-approval'
  | 'already-approved'
  | 'unsigned';

export interface Refused {
  kind: 'refused';
  /** at least one; the first is the one reported as the error */
  refusals: [Refusal, ...Refusal[]];
}

/** The change is already in effect: exit 0, nothing written. */
export interface NoChange {
  kind: 'noop';
  action: string;
  id: string;
  env: string;
  version: string;
  /** one line for humans ("a@1.0.0 is already pinned in development; nothing to do") */
  text: string;
  /** the `message` of the JSON document ("already pinned") */
  message: string;
}

/** One line of a dry run: `label: value`. */
export type PreviewLine = readonly [label: string, value: string];

export interface EnvChangePlan {
  kind: 'change';
  /** 'promote' | 'rollback' | … : the JSON `action` and the verb of the commit subject */
  action: string;
  id: string;
  env: string;
  /** the version active before and after the change (from: null = not pinned yet) */
  from: string | null;
  to: string;
  /** the environment file, registry-relative */
  file: string;
  reason: string | null;
  /** commit subject and body (git trailers) */
  subject: string;
  body: string;
  /**
   * Applies the change to `fresh` (the file as it is now) and returns the new file, or a refusal
   * (a conflict, exit 3) when the change no longer holds on it. Pure; never modifies `fresh`.
   */
  mutate(fresh: EnvironmentFile): EnvironmentFile | Refusal;
  /**
   * The one prompt whose pin `mutate` reads and changes, when that is all it touches: `apply/`
   * may then hand it a file holding that pin alone and splice the result into the file's bytes
   * (registry/env-view.ts). null: `mutate` needs the whole file (e.g. top-level approvals).
   */
  scope: string | null;
  /**
   * Evidence the plan still waits for before it may be applied (e.g. 'gate': the eval gate has to
   * run). A pending plan can be shown (--dry-run) but `apply/` refuses to carry it out.
   */
  pending: string | null;
  /**
   * The environment requires signed commits (SPEC §15 `approvals.signed`): `apply/` signs the
   * commit (`git commit -S`) and keeps it only when `git verify-commit` accepts it.
   */
  signed?: boolean;
  /**
   * for --dry-run and the result line: "would promote …" / "promoted …"; `what` replaces
   * "<id> <from> -> <to> in <env>"; `note` follows the dry run's headline, `doneNote` the result's
   */
  words: { would: string; done: string; what?: string; note?: string; doneNote?: string };
  /** dry-run lines after the headline (file, sha256, gate, …), in order */
  preview: PreviewLine[];
  /** the command's own keys of the JSON documents: of the dry run, and of the result */
  json: { plan: Record<string, unknown>; result: Record<string, unknown> };
  /** message lines on stderr just before the change is applied, and after it was */
  before: string[];
  after: string[];
}

export type EnvDecision<P> = P | NoChange | Refused;

export function refused(r: Omit<Refusal, 'kind'>, ...more: Omit<Refusal, 'kind'>[]): Refused {
  return { kind: 'refused', refusals: [{ kind: 'refusal', ...r }, ...more.map((m) => ({ kind: 'refusal' as const, ...m }))] };
}

export function refusal(r: Omit<Refusal, 'kind'>): Refusal {
  return { kind: 'refusal', ...r };
}

export function isRefusal(x: unknown): x is Refusal {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'refusal';
}

/** Seconds-precision UTC timestamp, as env files record them. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

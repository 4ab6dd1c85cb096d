/**
 * Semantic differences between two prompt versions (SPEC §6 `diff`): metadata, model and
 * parameters, inputs schema, output schema, and each message's template as a unified line
 * diff (the `diff` package) with word-level changes for changed lines. Pure: reporters render it.
 */
import { structuredPatch, diffWordsWithSpace } from 'diff';
import type { PromptFile, Message } from './types.js';
import type { BumpLevel } from './semver-rules.js';
import { includePairs, pairText, requiredBumpResolved } from './partial-rules.js';
import type { TemplateLibrary } from './partials.js';
import { isObject, jsonEqual } from './json.js';

export interface FieldChange {
  /** dotted path inside the section, e.g. "parameters.temperature" or "properties.ticket.maxLength" */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

export interface WordPart {
  value: string;
  added?: boolean;
  removed?: boolean;
}

export interface DiffLine {
  type: 'context' | 'add' | 'del';
  text: string;
  /** for a changed line paired with its counterpart: the words that changed */
  words?: WordPart[];
}

export interface Hunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: DiffLine[];
}

export interface MessageDiff {
  /** 1-based position */
  index: number;
  status: 'added' | 'removed' | 'changed' | 'unchanged';
  roleBefore: string | null;
  roleAfter: string | null;
  hunks: Hunk[];
  /** the unified diff text (no file headers) */
  unified: string;
}

/** A change of a partial the prompt includes: which include, from which version to which, what changed in it. */
export interface PartialDiff {
  /** the include's names from the prompt ("tone", "tone > sig") */
  path: string;
  /** `<id>@<version>` on each side (null: not included there) */
  from: string | null;
  to: string | null;
  status: 'added' | 'removed' | 'changed';
  /** "shared/tone 1.2.0 -> 1.3.0" */
  text: string;
  /** the partial's template as a unified line diff */
  hunks: Hunk[];
  unified: string;
  /** its inputs (the variables it uses), field by field */
  inputs: FieldChange[];
}

export interface PromptDiff {
  from: { id: string; version: string; label: string };
  to: { id: string; version: string; label: string };
  identical: boolean;
  metadata: FieldChange[];
  model: FieldChange[];
  inputs: FieldChange[];
  output: FieldChange[];
  messages: MessageDiff[];
  /** the partials it includes that changed (the resolved change, by the include that causes it) */
  partials: PartialDiff[];
  /** the smallest semver bump the change requires (same prompt only) */
  requires: { level: BumpLevel; reasons: string[] } | null;
}

/** Chat form of a prompt (a lone `template` is one user message), as render.ts has it. */
function messagesOf(p: Pick<PromptFile, 'messages' | 'template'>): Message[] {
  return p.messages ?? [{ role: 'user', content: p.template ?? '' }];
}

type Flat = Map<string, unknown>;

function flatten(v: unknown, prefix: string, out: Flat): Flat {
  if (isObject(v)) {
    const entries = Object.entries(v);
    if (entries.length === 0 && prefix) out.set(prefix, {});
    for (const [k, x] of entries) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.set(prefix, v);
  }
  return out;
}

/** Field-level changes between two values, by dotted path, in a stable order. */
export function fieldChanges(a: unknown, b: unknown): FieldChange[] {
  const fa = flatten(a, '', new Map());
  const fb = flatten(b, '', new Map());
  const changes: FieldChange[] = [];
  const keys = [...fa.keys(), ...[...fb.keys()].filter((k) => !fa.has(k))];
  for (const k of keys) {
    const inA = fa.has(k);
    const inB = fb.has(k);
    if (inA && !inB) changes.push({ path: k, kind: 'removed', before: fa.get(k) });
    else if (!inA && inB) changes.push({ path: k, kind: 'added', after: fb.get(k) });
    else if (!jsonEqual(fa.get(k), fb.get(k))) changes.push({ path: k, kind: 'changed', before: fa.get(k), after: fb.get(k) });
  }
  // a whole section added/removed reads better as one change
  if (a === undefined && b !== undefined) return [{ path: '(all)', kind: 'added', after: b }];
  if (a !== undefined && b === undefined) return [{ path: '(all)', kind: 'removed', before: a }];
  return changes;
}

function pick(p: PromptFile, keys: readonly (keyof PromptFile)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

const META_KEYS = ['id', 'version', 'description', 'author', 'created', 'changes', 'tags'] as const;

/** Pairs consecutive removed/added runs inside a hunk and attaches word-level changes. */
function withWords(lines: DiffLine[]): DiffLine[] {
  let i = 0;
  while (i < lines.length) {
    if (lines[i]!.type !== 'del') {
      i++;
      continue;
    }
    const delStart = i;
    while (i < lines.length && lines[i]!.type === 'del') i++;
    const addStart = i;
    while (i < lines.length && lines[i]!.type === 'add') i++;
    const pairs = Math.min(addStart - delStart, i - addStart);
    for (let k = 0; k < pairs; k++) {
      const del = lines[delStart + k]!;
      const add = lines[addStart + k]!;
      const parts = diffWordsWithSpace(del.text, add.text);
      del.words = parts.filter((p) => !p.added).map((p) => ({ value: p.value, ...(p.removed ? { removed: true } : {}) }));
      add.words = parts.filter((p) => !p.removed).map((p) => ({ value: p.value, ...(p.added ? { added: true } : {}) }));
    }
  }
  return lines;
}

/** `@@ -a,b +c,d @@` as diff(1)/git write it (an empty side starts at line 0). */
export function hunkHeader(h: Pick<Hunk, 'oldStart' | 'oldLines' | 'newStart' | 'newLines'>): string {
  const os = h.oldLines === 0 ? h.oldStart - 1 : h.oldStart;
  const ns = h.newLines === 0 ? h.newStart - 1 : h.newStart;
  return `@@ -${os},${h.oldLines} +${ns},${h.newLines} @@`;
}

export function textDiff(before: string, after: string, context = 3): { hunks: Hunk[]; unified: string } {
  const nl = (s: string): string => (s === '' || s.endsWith('\n') ? s : `${s}\n`);
  const patch = structuredPatch('a', 'b', nl(before), nl(after), undefined, undefined, { context });
  const hunks: Hunk[] = patch.hunks.map((h) => ({
    oldStart: h.oldStart,
    oldLines: h.oldLines,
    newStart: h.newStart,
    newLines: h.newLines,
    lines: withWords(
      h.lines
        .filter((l) => !l.startsWith('\\'))
        .map((l): DiffLine => ({ type: l[0] === '+' ? 'add' : l[0] === '-' ? 'del' : 'context', text: l.slice(1) })),
    ),
  }));
  const unified = hunks
    .map((h) => [hunkHeader(h), ...h.lines.map((l) => `${l.type === 'add' ? '+' : l.type === 'del' ? '-' : ' '}${l.text}`)].join('\n'))
    .join('\n');
  return { hunks, unified };
}

function messageDiffs(a: Message[], b: Message[]): MessageDiff[] {
  const n = Math.max(a.length, b.length);
  const out: MessageDiff[] = [];
  for (let i = 0; i < n; i++) {
    const ma = a[i];
    const mb = b[i];
    const { hunks, unified } = textDiff(ma?.content ?? '', mb?.content ?? '');
    const status: MessageDiff['status'] = !ma ? 'added' : !mb ? 'removed' : ma.role !== mb.role || ma.content !== mb.content ? 'changed' : 'unchanged';
    out.push({ index: i + 1, status, roleBefore: ma?.role ?? null, roleAfter: mb?.role ?? null, hunks: status === 'unchanged' ? [] : hunks, unified: status === 'unchanged' ? '' : unified });
  }
  return out;
}

/** The partial changes between two resolved prompts' libraries, by include path. */
export function partialDiffs(a: TemplateLibrary | undefined, b: TemplateLibrary | undefined): PartialDiff[] {
  const out: PartialDiff[] = [];
  for (const pair of includePairs(a, b)) {
    const { from, to } = pair;
    if (from && to && from.key === to.key) continue;
    const { hunks, unified } = textDiff(from?.spec.template ?? '', to?.spec.template ?? '');
    out.push({
      path: pair.path,
      from: from?.key ?? null,
      to: to?.key ?? null,
      status: !from ? 'added' : !to ? 'removed' : 'changed',
      text: pairText(pair),
      hunks,
      unified,
      inputs: fieldChanges(from?.spec.inputs, to?.spec.inputs),
    });
  }
  return out;
}

/**
 * `libs`: the partials each side's templates include (resolved prompts): their changes are
 * part of the diff, and of the bump it requires.
 */
export function diffPrompts(
  a: PromptFile,
  b: PromptFile,
  labels: { from: string; to: string } = { from: a.version, to: b.version },
  libs: { from?: TemplateLibrary; to?: TemplateLibrary } = {},
): PromptDiff {
  const metadata = fieldChanges(pick(a, META_KEYS), pick(b, META_KEYS));
  const model = fieldChanges(a.model, b.model);
  const inputs = fieldChanges(a.inputs, b.inputs);
  const output = fieldChanges(a.output, b.output);
  const messages = messageDiffs(messagesOf(a), messagesOf(b));
  const partials = partialDiffs(libs.from, libs.to);
  const contentSame = model.length === 0 && inputs.length === 0 && output.length === 0 && messages.every((m) => m.status === 'unchanged') && partials.length === 0;
  let requires: PromptDiff['requires'] = null;
  // a bump is meaningful between two versions; the same version on both sides differs only by
  // environment overrides, which are configuration, not a new version
  if (a.id === b.id && a.version !== b.version) {
    const r = requiredBumpResolved({ prompt: a, library: libs.from ?? NO_PARTIALS }, { prompt: b, library: libs.to ?? NO_PARTIALS });
    requires = { level: r.level, reasons: r.reasons };
  }
  return {
    from: { id: a.id, version: a.version, label: labels.from },
    to: { id: b.id, version: b.version, label: labels.to },
    identical: contentSame && metadata.length === 0,
    metadata,
    model,
    inputs,
    output,
    messages,
    partials,
    requires,
  };
}

const NO_PARTIALS: TemplateLibrary = { uses: {}, partials: {} };

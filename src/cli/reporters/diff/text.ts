/** `diff --format text`: sections with field changes and unified template diffs; colored words when colors are on. */
import type { ChalkInstance } from 'chalk';
import type { PromptDiff, FieldChange, DiffLine } from '../../../core/diff.js';
import { hunkHeader } from '../../../core/diff.js';
import { safeText as t } from '../../../core/escape.js';

export function showValue(v: unknown): string {
  if (v === undefined) return '(none)';
  return t(JSON.stringify(v));
}

function fieldLines(title: string, changes: FieldChange[], c: ChalkInstance): string[] {
  if (changes.length === 0) return [];
  const out = [c.bold(title)];
  for (const ch of changes) {
    if (ch.kind === 'added') out.push(`  ${c.green('+')} ${t(ch.path)}: ${c.green(showValue(ch.after))}`);
    else if (ch.kind === 'removed') out.push(`  ${c.red('-')} ${t(ch.path)}: ${c.red(showValue(ch.before))}`);
    else out.push(`  ${c.yellow('~')} ${t(ch.path)}: ${c.red(showValue(ch.before))} -> ${c.green(showValue(ch.after))}`);
  }
  return out;
}

function line(l: DiffLine, c: ChalkInstance, color: boolean): string {
  if (l.type === 'context') return c.dim(` ${t(l.text)}`);
  const sign = l.type === 'add' ? '+' : '-';
  const paint = l.type === 'add' ? c.green : c.red;
  if (color && l.words) {
    const hi = l.type === 'add' ? c.bgGreen.black : c.bgRed.black;
    return paint(sign) + l.words.map((w) => (w.added || w.removed ? hi(t(w.value)) : paint(t(w.value)))).join('');
  }
  return paint(`${sign}${t(l.text)}`);
}

export function renderDiffText(d: PromptDiff, c: ChalkInstance, color: boolean): string {
  const head = t(`${d.from.id}@${d.from.label}${d.from.label !== d.from.version ? ` (${d.from.version})` : ''} -> ${d.to.id}@${d.to.label}${d.to.label !== d.to.version ? ` (${d.to.version})` : ''}`);
  const out = [c.bold(head)];
  if (d.identical) {
    out.push('no differences');
    return `${out.join('\n')}\n`;
  }
  if (d.requires) out.push(`requires: ${d.requires.level} bump${d.requires.reasons.length ? ` (${t(d.requires.reasons[0]!)}${d.requires.reasons.length > 1 ? `; +${d.requires.reasons.length - 1} more` : ''})` : ''}`);
  const sections = [
    ...fieldLines('Metadata', d.metadata, c),
    ...fieldLines('Model', d.model, c),
    ...fieldLines('Inputs schema', d.inputs, c),
    ...fieldLines('Output schema', d.output, c),
  ];
  if (sections.length) out.push('', ...sections);
  for (const m of d.messages) {
    if (m.status === 'unchanged') continue;
    const role = m.roleBefore === m.roleAfter ? (m.roleAfter ?? '') : `${m.roleBefore ?? '(none)'} -> ${m.roleAfter ?? '(none)'}`;
    out.push('', c.bold(`Message ${m.index} (${t(role)}) ${m.status}`));
    for (const h of m.hunks) {
      out.push(c.cyan(hunkHeader(h)));
      for (const l of h.lines) out.push(line(l, c, color));
    }
  }
  // the resolved change: what the partials it includes render differently, by the include that causes it
  for (const p of d.partials) {
    out.push('', c.bold(`Partial ${p.path} (${p.text}) ${p.status}`));
    out.push(...fieldLines('  Inputs', p.inputs, c));
    for (const h of p.hunks) {
      out.push(c.cyan(hunkHeader(h)));
      for (const l of h.lines) out.push(line(l, c, color));
    }
  }
  return `${out.join('\n')}\n`;
}

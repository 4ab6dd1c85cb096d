/**
 * `diff --format markdown`: ready to post as a PR comment or a job summary (tables for fields,
 * ```diff blocks for templates). Everything from the files is inert there: field values are code
 * spans nothing inside can close, names and reasons are escaped text (core/escape.ts markdownText),
 * and each template diff sits in a fence longer than any run of backticks inside it, so no line of
 * a template can close it.
 */
import type { PromptDiff, FieldChange } from '../../../core/diff.js';
import { markdownText, UNSAFE_CHARS } from '../../../core/escape.js';

/** A backtick fence longer than every run of backticks in `text` (at least three). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const m of text.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

/** A code span that nothing inside can close: backticks become ˋ, line breaks ⏎, other controls a space. */
function code(s: string): string {
  return `\`${s.replace(/`/g, 'ˋ').replace(/\|/g, '\\|').replace(/\r?\n/g, '⏎').replace(UNSAFE_CHARS, ' ')}\``;
}

function cell(v: unknown): string {
  if (v === undefined) return '—';
  return code(typeof v === 'string' ? v : JSON.stringify(v));
}

function table(title: string, changes: FieldChange[], from: string, to: string): string[] {
  if (changes.length === 0) return [];
  const out = [`**${title}**`, '', `| field | ${from} | ${to} |`, '|---|---|---|'];
  for (const ch of changes) out.push(`| ${code(ch.path)} | ${ch.kind === 'added' ? '—' : cell(ch.before)} | ${ch.kind === 'removed' ? '—' : cell(ch.after)} |`);
  out.push('');
  return out;
}

export function renderDiffMarkdown(d: PromptDiff): string {
  const side = (s: { label: string; version: string }): string => (s.label === s.version ? markdownText(s.version) : `${markdownText(s.label)} (${markdownText(s.version)})`);
  const from = side(d.from);
  const to = side(d.to);
  const name = d.from.id === d.to.id ? code(d.to.id) : `${code(d.from.id)} → ${code(d.to.id)}`;
  const out = [`### Prompt diff: ${name} ${from} → ${to}`, ''];
  if (d.identical) {
    out.push('No differences.', '');
    return out.join('\n');
  }
  if (d.requires) {
    out.push(`Requires a **${markdownText(d.requires.level)}** version bump.`);
    for (const r of d.requires.reasons) out.push(`- ${markdownText(r)}`);
    out.push('');
  }
  out.push(...table('Metadata', d.metadata, from, to), ...table('Model', d.model, from, to), ...table('Inputs schema', d.inputs, from, to), ...table('Output schema', d.output, from, to));
  const changed = d.messages.filter((m) => m.status !== 'unchanged');
  if (changed.length) {
    out.push('**Messages**', '');
    for (const m of changed) {
      const role = m.roleBefore === m.roleAfter ? (m.roleAfter ?? '') : `${m.roleBefore ?? 'none'} → ${m.roleAfter ?? 'none'}`;
      const fence = fenceFor(m.unified);
      out.push(`<details open><summary>Message ${m.index} (${markdownText(role)}) ${markdownText(m.status)}</summary>`, '', `${fence}diff`, m.unified, fence, '', '</details>', '');
    }
  }
  if (d.partials.length) {
    out.push('**Partials** (what the prompt includes renders differently)', '');
    for (const p of d.partials) {
      const fence = p.unified.includes('```') ? '~~~~' : '```';
      out.push(`<details open><summary>${cell(p.path)} ${cell(p.text)} ${p.status}</summary>`, '', ...table('Inputs', p.inputs, p.from ?? '—', p.to ?? '—'), `${fence}diff`, p.unified, fence, '', '</details>', '');
    }
  }
  return out.join('\n');
}

/** `status` as an aligned table: one row per prompt, one column per environment, flags in brackets. */
import type { ChalkInstance } from 'chalk';
import type { StatusReport, StatusFlag } from '../../core/status.js';
import { BROKEN_FLAGS } from '../../core/status.js';
import { safeText as t } from '../../core/escape.js';

const LABEL: Record<StatusFlag, string> = {
  behind: 'behind',
  missing: 'MISSING FILE',
  'sha-mismatch': 'SHA256 MISMATCH',
  'dep-missing': 'DEP MISSING',
  'dep-changed': 'DEP CHANGED',
  'not-upstream': 'not upstream',
  'candidate-missing': 'CANDIDATE FILE MISSING',
  'candidate-sha-mismatch': 'CANDIDATE SHA256 MISMATCH',
  tampered: 'EDITED BY HAND',
};

/** The latest version; a newer prerelease is shown after the latest stable one: `1.2.0 (+1.3.0-rc.1)`. */
export function latestCell(latest: string | null, stable: string | null): string {
  if (latest === null) return '-';
  return stable !== null && stable !== latest ? `${stable} (+${latest})` : latest;
}

export function renderStatusText(r: StatusReport, c: ChalkInstance): string {
  if (r.prompts.length === 0) return 'no prompts yet (create one with "prompts new <id>")\n';
  const header = ['prompt', 'latest', ...r.environments.map(t)];
  const rows: { plain: string; colored: string }[][] = r.prompts.map((p) => [
    { plain: t(p.id), colored: t(p.id) },
    { plain: t(latestCell(p.latest, p.latest_stable)), colored: t(latestCell(p.latest, p.latest_stable)) },
    ...r.environments.map((e) => {
      const cell = p.environments[e]!;
      if (!cell.version) return { plain: '-', colored: c.dim('-') };
      const version = t(cell.version);
      const flags = cell.flags.map((f) => LABEL[f]);
      const canary = cell.rollout ? t(` +${cell.rollout.version}@${cell.rollout.weight}%`) : '';
      const plain = `${version}${canary}${flags.length ? ` (${flags.join(', ')})` : ''}`;
      const broken = cell.flags.some((f) => BROKEN_FLAGS.includes(f));
      const colored = `${flags.length ? version : c.green(version)}${canary ? c.cyan(canary) : ''}${flags.length ? ` ${(broken ? c.red : c.yellow)(`(${flags.join(', ')})`)}` : ''}`;
      return { plain, colored };
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.plain.length)));
  const pad = (s: { plain: string; colored: string }, w: number): string => s.colored + ' '.repeat(Math.max(0, w - s.plain.length));
  const lines = [header.map((h, i) => c.bold(h.padEnd(widths[i]!))).join('  ').trimEnd(), ...rows.map((row) => row.map((cell, i) => pad(cell, widths[i]!)).join('  ').trimEnd())];
  const notes: string[] = [];
  if (r.broken) notes.push(c.red(`${r.broken} broken pin${r.broken === 1 ? '' : 's'} (pinned file missing or changed, or the pin edited by hand): run "prompts validate"`));
  return `${lines.join('\n')}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
}

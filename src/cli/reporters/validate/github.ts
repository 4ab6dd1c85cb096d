/**
 * GitHub Actions workflow commands, escaped exactly like @actions/core: message data escapes
 * % \r \n; property values additionally : and ,.
 */
import type { Problem, ValidateResult } from '../../../validate/problem.js';
import { safeLines } from '../../../core/escape.js';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotation(p: Problem, prefix = ''): string {
  const cmd = p.severity === 'error' ? 'error' : 'warning';
  const file = prefix ? `${prefix}/${p.file}` : p.file;
  const props = `file=${escapeProperty(file)},line=${p.line},col=${p.column},title=${escapeProperty(p.rule)}`;
  // no ANSI or other controls in the annotation (newlines stay: the toolkit's %0A), then the toolkit's escaping
  return `::${cmd} ${props}::${escapeData(safeLines(p.message))}`;
}

/**
 * `prefix` is the registry's path from the repository root, so annotations land on the right
 * file when the registry is not at the top of the repository.
 */
export function renderGithub(r: ValidateResult, prefix = ''): string {
  return [...r.errors, ...r.warnings].map((p) => `${annotation(p, prefix)}\n`).join('');
}

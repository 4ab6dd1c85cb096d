/** Human output of validate: problems grouped by file, colored, then one summary line. */
import type { Problem, ValidateResult } from '../../../validate/problem.js';
import { safeText as t } from '../../../core/escape.js';

/** the few styles used (a chalk instance fits; `plainColors` when colors are off, without loading chalk) */
export interface Colors {
  underline(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  bold(s: string): string;
}
const same = (s: string): string => s;
export const plainColors: Colors = { underline: same, dim: same, red: same, yellow: same, green: same, bold: same };

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summaryLine(r: ValidateResult): string {
  return `${plural(r.errors.length, 'error')}, ${plural(r.warnings.length, 'warning')} in ${plural(r.files, 'file')}`;
}

export function renderText(r: ValidateResult, c: Colors): string {
  const all = [...r.errors, ...r.warnings];
  const byFile = new Map<string, Problem[]>();
  for (const p of all) {
    const l = byFile.get(p.file);
    if (l) l.push(p);
    else byFile.set(p.file, [p]);
  }
  let out = '';
  for (const file of [...byFile.keys()].sort()) {
    const list = byFile.get(file)!.sort((a, b) => a.line - b.line || a.column - b.column);
    out += `${c.underline(t(file))}\n`;
    const w = Math.max(...list.map((p) => `${p.line}:${p.column}`.length));
    for (const p of list) {
      const where = `${p.line}:${p.column}`.padEnd(w);
      const sev = p.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      out += `  ${c.dim(where)}  ${sev}  ${t(p.message)}  ${c.dim(t(p.rule))}\n`;
    }
    out += '\n';
  }
  const summary = summaryLine(r);
  out += r.errors.length ? c.bold(c.red(`✖ ${summary}`)) : r.warnings.length ? c.yellow(`✔ ${summary}`) : c.green(`✔ ${summary}`);
  return `${out}\n`;
}

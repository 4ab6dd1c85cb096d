/** Human output of validate: problems grouped by file, colored, then one summary line. */
import type { ChalkInstance } from 'chalk';
import type { Problem, ValidateResult } from '../../../validate/problem.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summaryLine(r: ValidateResult): string {
  return `${plural(r.errors.length, 'error')}, ${plural(r.warnings.length, 'warning')} in ${plural(r.files, 'file')}`;
}

export function renderText(r: ValidateResult, c: ChalkInstance): string {
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
    out += `${c.underline(file)}\n`;
    const w = Math.max(...list.map((p) => `${p.line}:${p.column}`.length));
    for (const p of list) {
      const where = `${p.line}:${p.column}`.padEnd(w);
      const sev = p.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      out += `  ${c.dim(where)}  ${sev}  ${p.message}  ${c.dim(p.rule)}\n`;
    }
    out += '\n';
  }
  const summary = summaryLine(r);
  out += r.errors.length ? c.red.bold(`✖ ${summary}`) : r.warnings.length ? c.yellow(`✔ ${summary}`) : c.green(`✔ ${summary}`);
  return `${out}\n`;
}

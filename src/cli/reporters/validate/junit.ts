/**
 * JUnit XML: one <testsuite> per prompt (plus "environments" and "config"), one <testcase>
 * per checked file (named by its path), a <failure> listing the file's errors; warnings go to
 * <system-out>. Valid against the Jenkins xunit plugin's JUnit schema (junit-10.xsd), which has
 * no `file` attribute on <testcase>: a report using one is skipped there.
 */
import type { Problem, ValidateResult } from '../../../validate/problem.js';
import { xmlEscape } from '../xml.js';
import { CONFIG_FILE } from '../../../paths.js';

function suiteOf(file: string, promptsDir: string): string {
  if (file === CONFIG_FILE) return 'config';
  if (file.startsWith(`${promptsDir}/`)) {
    const inner = file.slice(promptsDir.length + 1);
    const slash = inner.lastIndexOf('/');
    return slash === -1 ? promptsDir : inner.slice(0, slash);
  }
  return 'environments';
}

const line = (p: Problem): string => `${p.file}:${p.line}:${p.column} ${p.rule}: ${p.message}`;

export function renderJunit(r: ValidateResult, promptsDir = 'prompts'): string {
  const files = new Set(r.checked);
  for (const p of [...r.errors, ...r.warnings]) files.add(p.file);
  const suites = new Map<string, string[]>();
  for (const f of [...files].sort()) {
    const s = suiteOf(f, promptsDir);
    const l = suites.get(s);
    if (l) l.push(f);
    else suites.set(s, [f]);
  }
  const errs = new Map<string, Problem[]>();
  const warns = new Map<string, Problem[]>();
  for (const p of r.errors) errs.set(p.file, [...(errs.get(p.file) ?? []), p]);
  for (const p of r.warnings) warns.set(p.file, [...(warns.get(p.file) ?? []), p]);
  let totalFailures = 0;
  let body = '';
  for (const [name, list] of [...suites].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const failures = list.filter((f) => errs.has(f)).length;
    totalFailures += failures;
    body += `  <testsuite name="${xmlEscape(name)}" tests="${list.length}" failures="${failures}" errors="0" skipped="0">\n`;
    for (const f of list) {
      const e = errs.get(f);
      const w = warns.get(f);
      body += `    <testcase name="${xmlEscape(f)}" classname="${xmlEscape(name)}"`;
      if (!e && !w) {
        body += ' />\n';
        continue;
      }
      body += '>\n';
      if (e) {
        const msg = e.length === 1 ? `${e[0]!.rule}: ${e[0]!.message}` : `${e.length} errors`;
        body += `      <failure message="${xmlEscape(msg)}" type="${xmlEscape(e[0]!.rule)}">${xmlEscape(e.map(line).join('\n'))}</failure>\n`;
      }
      if (w) body += `      <system-out>${xmlEscape(w.map((p) => `warning ${line(p)}`).join('\n'))}</system-out>\n`;
      body += '    </testcase>\n';
    }
    body += '  </testsuite>\n';
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="prompts validate" tests="${files.size}" failures="${totalFailures}" errors="0">\n${body}</testsuites>\n`;
}

/**
 * JUnit XML for `prompts eval --format junit`: one testsuite per prompt version (and provider,
 * when several ran side by side), one testcase per case.
 */
import type { EvalReport } from '../../eval/report.js';
import { reportsOf, type EvalRunDocument } from '../../eval/document.js';
import { xmlEscape } from './xml.js';

const secs = (ms: number): string => (ms / 1000).toFixed(3);

function suiteXml(r: EvalReport, withProvider: boolean): string[] {
  const suite = `${r.prompt}@${r.version}${withProvider ? ` on ${r.provider}` : ''}${r.shard ? ` (shard ${r.shard.index}/${r.shard.count})` : ''}`;
  const out: string[] = [];
  out.push(
    `  <testsuite name="${xmlEscape(suite)}" tests="${r.cases}" failures="${r.failed}" errors="${r.errors}" skipped="0" time="${secs(r.duration_ms)}" timestamp="${xmlEscape(r.started_at)}">`,
  );
  out.push('    <properties>');
  const props: [string, string][] = [['provider', r.provider], ['model', r.model], ['sha256', r.sha256], ['suite_sha256', r.suite_sha256], ['pass_rate', String(r.pass_rate)]];
  if ((r.repeat ?? 1) > 1) props.push(['repeat', String(r.repeat)], ['case_pass_rate', String(r.case_pass_rate)]);
  for (const [k, v] of props) out.push(`      <property name="${k}" value="${xmlEscape(v)}"/>`);
  out.push('    </properties>');
  for (const x of r.results) {
    const open = `    <testcase name="${xmlEscape(x.name)}" classname="${xmlEscape(suite)}" time="${secs(x.latency_ms)}"`;
    if (x.pass) {
      out.push(`${open}/>`);
      continue;
    }
    out.push(`${open}>`);
    if (x.error !== null) {
      out.push(`      <error message="${xmlEscape(x.error)}" type="error"/>`);
    } else {
      const failed = x.assertions.filter((a) => !a.pass);
      const first = failed[0];
      const body = failed.map((a) => `${a.name ?? a.type}: ${a.message}`).join('\n');
      const reg = x.change === 'regression' ? ' (regression)' : '';
      const runs = x.runs !== undefined ? ` (${x.runs_passed}/${x.runs} runs passed)` : '';
      out.push(`      <failure message="${xmlEscape((first ? `${first.name ?? first.type}: ${first.message}` : 'failed') + reg + runs)}" type="${xmlEscape(first?.type ?? 'assertion')}">${xmlEscape(body)}</failure>`);
    }
    if (x.output !== null) out.push(`      <system-out>${xmlEscape(x.output)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  return out;
}

export function renderEvalJunit(doc: EvalReport | EvalRunDocument): string {
  const reports = reportsOf(doc);
  const versions = new Map<string, number>();
  for (const r of reports) versions.set(`${r.prompt}@${r.version}`, (versions.get(`${r.prompt}@${r.version}`) ?? 0) + 1);
  const sum = (f: (r: EvalReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const time = Math.max(0, ...reports.map((r) => r.duration_ms));
  out.push(`<testsuites name="prompts eval" tests="${sum((r) => r.cases)}" failures="${sum((r) => r.failed)}" errors="${sum((r) => r.errors)}" time="${secs(time)}">`);
  for (const r of reports) out.push(...suiteXml(r, (versions.get(`${r.prompt}@${r.version}`) ?? 0) > 1));
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

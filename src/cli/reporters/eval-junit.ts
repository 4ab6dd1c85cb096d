/** JUnit XML for `prompts eval --format junit`: one testsuite per prompt version, one testcase per case. */
import type { EvalReport } from '../../eval/report.js';
import { xmlEscape } from './xml.js';

export function renderEvalJunit(r: EvalReport): string {
  const suite = `${r.prompt}@${r.version}`;
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const secs = (ms: number): string => (ms / 1000).toFixed(3);
  out.push(`<testsuites name="prompts eval" tests="${r.cases}" failures="${r.failed}" errors="${r.errors}" time="${secs(r.duration_ms)}">`);
  out.push(
    `  <testsuite name="${xmlEscape(suite)}" tests="${r.cases}" failures="${r.failed}" errors="${r.errors}" skipped="0" time="${secs(r.duration_ms)}" timestamp="${xmlEscape(r.started_at)}">`,
  );
  out.push('    <properties>');
  for (const [k, v] of [['provider', r.provider], ['model', r.model], ['sha256', r.sha256], ['suite_sha256', r.suite_sha256], ['pass_rate', String(r.pass_rate)]] as const) {
    out.push(`      <property name="${k}" value="${xmlEscape(v)}"/>`);
  }
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
      out.push(`      <failure message="${xmlEscape((first ? `${first.name ?? first.type}: ${first.message}` : 'failed') + reg)}" type="${xmlEscape(first?.type ?? 'assertion')}">${xmlEscape(body)}</failure>`);
    }
    if (x.output !== null) out.push(`      <system-out>${xmlEscape(x.output)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>');
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

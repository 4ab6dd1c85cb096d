import { describe, it, expect } from 'vitest';
import { Chalk } from 'chalk';
import { renderText, summaryLine } from '../../src/cli/reporters/validate/text.js';
import { renderJson } from '../../src/cli/reporters/validate/json.js';
import { renderGithub, escapeData, escapeProperty } from '../../src/cli/reporters/validate/github.js';
import { renderJunit } from '../../src/cli/reporters/validate/junit.js';
import { xmlEscape } from '../../src/cli/reporters/xml.js';
import type { ValidateResult, Problem } from '../../src/validate/problem.js';

const err = (file: string, line: number, column: number, rule: string, message: string): Problem => ({ file, line, column, rule, message, severity: 'error' });
const result: ValidateResult = {
  ok: false,
  files: 3,
  checked: ['prompts.config.yaml', 'environments/production.yaml', 'prompts/support/triage/1.0.0.yaml'],
  errors: [err('prompts/support/triage/1.0.0.yaml', 3, 1, 'schema-unknown-key', 'unknown key "descripton"; did you mean "description"?'), err('environments/production.yaml', 5, 13, 'pin-sha-mismatch', 'a,b:c 100%\nnext <x> & "y"')],
  warnings: [{ ...err('prompts/support/triage/1.0.0.yaml', 15, 14, 'input-unused', 'required input "x" is never used'), severity: 'warning' }],
  configError: false,
  promptsDir: 'prompts',
};

describe('validate reporters', () => {
  it('text: grouped by file with a summary line', () => {
    const out = renderText(result, new Chalk({ level: 0 }));
    expect(out).toContain('prompts/support/triage/1.0.0.yaml\n  3:1    error    unknown key "descripton"; did you mean "description"?  schema-unknown-key\n  15:14  warning  required input');
    expect(out.indexOf('environments/production.yaml')).toBeLessThan(out.indexOf('prompts/support'));
    expect(out.trimEnd().split('\n').pop()).toBe('✖ 2 errors, 1 warning in 3 files');
    expect(summaryLine({ ...result, errors: [], warnings: [], files: 1 })).toBe('0 errors, 0 warnings in 1 file');
  });

  it('text: colors only when the chalk instance has them', () => {
    expect(renderText(result, new Chalk({ level: 1 }))).toContain('\u001b[31m');
    expect(renderText(result, new Chalk({ level: 0 }))).not.toContain('\u001b[');
  });

  it('json: the SPEC §8 shape', () => {
    const j = JSON.parse(renderJson(result)) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['ok', 'files', 'errors', 'warnings']);
    expect(j.ok).toBe(false);
    expect(j.files).toBe(3);
    expect((j.errors as object[])[0]).toEqual({ file: 'prompts/support/triage/1.0.0.yaml', line: 3, column: 1, rule: 'schema-unknown-key', message: 'unknown key "descripton"; did you mean "description"?' });
    expect(j.warnings).toHaveLength(1);
  });

  it('github: escapes like @actions/core', () => {
    expect(escapeData('a%b\r\nc:d,e')).toBe('a%25b%0D%0Ac:d,e');
    expect(escapeProperty('a%b\r\nc:d,e')).toBe('a%25b%0D%0Ac%3Ad%2Ce');
    const lines = renderGithub(result, 'sub/dir').trimEnd().split('\n');
    expect(lines).toEqual([
      '::error file=sub/dir/prompts/support/triage/1.0.0.yaml,line=3,col=1,title=schema-unknown-key::unknown key "descripton"; did you mean "description"?',
      '::error file=sub/dir/environments/production.yaml,line=5,col=13,title=pin-sha-mismatch::a,b:c 100%25%0Anext <x> & "y"',
      '::warning file=sub/dir/prompts/support/triage/1.0.0.yaml,line=15,col=14,title=input-unused::required input "x" is never used',
    ]);
  });

  it('junit: one suite per prompt plus environments and config, failures XML-escaped', () => {
    const xml = renderJunit(result);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="prompts validate" tests="3" failures="2" errors="0">/);
    expect(xml).toContain('<testsuite name="config" tests="1" failures="0"');
    expect(xml).toContain('<testsuite name="environments" tests="1" failures="1"');
    expect(xml).toContain('<testsuite name="support/triage" tests="1" failures="1"');
    expect(xml).toContain('a,b:c 100%\nnext &lt;x&gt; &amp; &quot;y&quot;');
    expect(xml).toContain('<system-out>warning prompts/support/triage/1.0.0.yaml:15:14 input-unused');
    expect(xmlEscape('a\u0001b<')).toBe('a\\u0001b&lt;'); // controls shown as escapes (the XML is printed to CI logs too)
    // well-formed: every opened element is closed
    const opened = (xml.match(/<(testsuite|testcase|failure|system-out)[ >]/g) ?? []).length - (xml.match(/<testcase [^>]*\/>/g) ?? []).length;
    const closed = (xml.match(/<\/(testsuite|testcase|failure|system-out)>/g) ?? []).length;
    expect(opened).toBe(closed);
  });
});

import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { renderEvalJunit } from '../../src/cli/reporters/eval-junit.js';
import { xmlEscape } from '../../src/cli/reporters/xml.js';
import { renderEvalMarkdown } from '../../src/cli/reporters/eval-markdown.js';
import { renderEvalText, summaryLine } from '../../src/cli/reporters/eval-text.js';
import type { EvalReport } from '../../src/eval/report.js';

const report = (over: Partial<EvalReport> = {}): EvalReport => ({
  ok: false, prompt: 'a/b', version: '1.0.0', sha256: 'a'.repeat(64), suite_sha256: 'b'.repeat(64), provider: 'openai', provider_type: 'openai', model: 'gpt', cases: 3, passed: 1, failed: 1, errors: 1,
  pass_rate: 0.3333, min_pass_rate: null, regressions: [], improvements: [], unchanged: 0, baseline: null, tokens: { input: 10, output: 5, total: 15 }, cost_usd: 0.0001, started_at: '2026-11-22T00:00:00Z', duration_ms: 1234, interrupted: false, stopped: null,
  config_sha256: 'c'.repeat(64), repeat: 1, case_pass_rate: 1, removed: [], new: [], latency: { p50_ms: 12, p95_ms: 30 }, budget_exhausted: false, max_cost_usd: null, shard: null, merged: null,
  results: [
    { name: 'ok <case>', pass: true, error: null, output: 'fine', latency_ms: 12, tokens: { input: 5, output: 2, total: 7 }, cost_usd: 0.00005, cached: false, score: 1, assertions: [] },
    { name: 'bad | "case"', pass: false, error: null, output: 'x & y', latency_ms: 30, tokens: { input: 5, output: 3, total: 8 }, cost_usd: 0.00005, cached: true, score: 0, assertions: [{ type: 'contains', pass: false, message: 'expected output to contain "z", got "x & y"', weight: 1 }], change: 'regression' },
    { name: 'err', pass: false, error: 'HTTP 500: boom', output: null, latency_ms: 0, tokens: null, cost_usd: null, cached: false, score: 0, assertions: [] },
  ],
  ...over,
});
const plain = new Chalk({ level: 0 });

describe('eval reporters', () => {
  it('text: a row per case with status, latency (* = cached), tokens, cost, and failure details', () => {
    const t = renderEvalText(report(), plain);
    expect(t).toMatch(/^PASS\s+ok <case>\s+12ms\s+7\s+\$0\.000050$/m);
    expect(t).toMatch(/^FAIL\s+bad \| "case" \(regression\)\s+30ms\*\s+8/m);
    expect(t).toMatch(/^ERROR\s+err\s+-\s+-\s+-$/m);
    expect(t).toContain('        HTTP 500: boom');
    expect(t).toContain('        contains: expected output to contain "z", got "x & y"');
    expect(summaryLine(report())).toBe('a/b@1.0.0 on openai/gpt: 1/3 passed (33.3%), 1 failed, 1 error, 1.23s, 15 tokens, $0.000100');
  });
  it('junit: one testcase per case, failures and errors, XML-escaped', () => {
    const x = renderEvalJunit(report());
    expect(x.match(/<testcase /g)).toHaveLength(3);
    expect(x).toContain('<testcase name="ok &lt;case&gt;" classname="a/b@1.0.0" time="0.012"/>');
    expect(x).toContain('<failure message="contains: expected output to contain &quot;z&quot;, got &quot;x &amp; y&quot; (regression)" type="contains">');
    expect(x).toContain('<error message="HTTP 500: boom" type="error"/>');
    expect(x).toContain('<system-out>x &amp; y</system-out>');
    expect(xmlEscape('a\u0001b<')).toBe('a\\u0001b&lt;'); // controls shown as escapes (the XML is printed to CI logs too)
  });
  it('markdown: heading with the verdict, failures first, pipes escaped', () => {
    const m = renderEvalMarkdown(report());
    expect(m.startsWith('### ❌ Eval `a/b@1.0.0` — 1/3 passed (33.3%)')).toBe(true);
    const rows = m.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| status'));
    expect(rows[0]).toContain('bad \\| "case" **(regression)**');
    expect(rows[1]).toContain('⚠️ error | err');
    expect(rows[2]).toContain('✅ pass');
    expect(renderEvalMarkdown(report({ ok: true })).startsWith('### ✅')).toBe(true);
  });
});

describe('escaping for the markdown summary and the HTML report', () => {
  it('mdText leaves no markup, link, image, mention, code span, math or HTML', async () => {
    const { mdText } = await import('../../src/cli/reporters/eval-markdown.js');
    const t = mdText('a</td><img src=x onerror=alert(1)> ![i](https://e.x/p.png) [l](https://e.x) @team `c` $m$ *b* _i_ ~s~ | x\n# h\r\u001b[31m');
    // eslint-disable-next-line no-control-regex
    expect(t).not.toMatch(/[<>\n\r\u001b]/);
    expect(t).toBe('a&lt;/td&gt;&lt;img src=x onerror=alert\\(1\\)&gt; \\!\\[i\\]\\(https://e.x/p.png\\) \\[l\\]\\(https://e.x\\) &#64;team \\`c\\` \\$m\\$ \\*b\\* \\_i\\_ \\~s\\~ \\| x \\# h \\[31m');
  });
  it('scriptSafeJson: no <, >, &, U+2028 or U+2029 as such, and it parses back to the same value', async () => {
    const { scriptSafeJson } = await import('../../src/cli/reporters/eval-html.js');
    const value = { s: '</script><script>alert(1)</script><!-- & \u2028\u2029 -->' };
    const out = scriptSafeJson(value);
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual(value);
  });
  it('the HTML page has one CSP without unsafe-inline or unsafe-eval, and the data only inside its JSON block', async () => {
    const { renderEvalHtml, isEvalHtml } = await import('../../src/cli/reporters/eval-html.js');
    const hostile = report({ results: [{ ...report().results[0]!, name: '</script><script>alert(1)</script>', output: '<img src=x onerror=alert(2)>' }] });
    const html = renderEvalHtml([hostile], { title: '<b>t</b>' });
    expect(isEvalHtml(html)).toBe(true);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1]!;
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe/);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).toContain('<title>&lt;b&gt;t&lt;/b&gt;</title>');
    // every inline script and style is the one its hash allows
    const { createHash } = await import('node:crypto');
    const hash = (t: string) => `'sha256-${createHash('sha256').update(t).digest('base64')}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(2);
    for (const s of scripts) expect(csp).toContain(hash(s));
    expect(csp).toContain(hash(/<style>([\s\S]*?)<\/style>/.exec(html)![1]!));
  });
});

/**
 * Evals at scale through the built CLI: several prompts per run (refs, --all, --changed in a real
 * git repository), providers side by side, --repeat, --max-cost, --shard + `report merge`,
 * `report html`, the GitHub step summary, and `promote --report` with its refusals.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli } from '../helpers/cli.js';
import { scaleRegistries, suite, version } from '../helpers/eval-scale.js';

const SCHEMA = JSON.parse(fs.readFileSync(new URL('../../schemas/eval-report.schema.json', import.meta.url), 'utf8')) as object;
const validateReport = new Ajv2020({ allErrors: true, strict: false }).compile(SCHEMA);

const fixture = scaleRegistries();
const registry = fixture.registry;

const json = <T = Record<string, unknown>>(s: string): T => JSON.parse(s) as T;
type Doc = { kind: string; ok: boolean; summary: Record<string, unknown>; reports: { prompt: string; version: string; provider: string; ok: boolean; cases: number; passed: number; results: { name: string; pass: boolean }[] }[]; skipped: { prompt: string; reason: string }[]; selection?: { mode: string; base?: { rev: string; commit: string } } };

describe('several prompts per run', () => {
  it('<ref>...: one report each and one summary; exit 1 when any fails', async () => {
    const reg = registry();
    const r = await cli(['--json', 'eval', 'support/triage', 'billing/refund', '-o', 'run.json'], { cwd: reg.dir });
    expect(r.exitCode).toBe(1);
    const doc = json<Doc>(r.stdout);
    expect(validateReport(doc), JSON.stringify(validateReport.errors)).toBe(true);
    expect(doc).toMatchObject({ kind: 'eval-run', ok: false, summary: { prompts: 2, reports: 2, reports_ok: 1, reports_failed: 1, cases: 5, passed: 4 }, selection: { mode: 'refs' } });
    expect(doc.reports.map((x) => [x.prompt, x.version, x.ok])).toEqual([['support/triage', '1.1.0', true], ['billing/refund', '1.0.0', false]]);
    // -o writes the same document; each report is stored for a later gate
    expect(json(fs.readFileSync(path.join(reg.dir, 'run.json'), 'utf8'))).toEqual(doc);
    expect(fs.existsSync(path.join(reg.dir, '.prompts/evals/billing/refund/1.0.0.json'))).toBe(true);
    const text = await cli(['eval', 'support/triage', 'billing/refund'], { cwd: reg.dir });
    expect(text.stdout).toContain('== support/triage@1.1.0');
    expect(text.stdout).toContain('== billing/refund@1.0.0');
    expect(text.stdout).toMatch(/^FAIL\s+broken/m);
    expect(text.stdout).toMatch(/2 prompt versions, 2 reports: 1 ok, 1 failed, 4\/5 cases passed \(80\.0%\)/);
    // only passing prompts: exit 0
    expect((await cli(['eval', 'support/triage', 'support/triage@1.0.0'], { cwd: reg.dir })).exitCode).toBe(0);
  });

  it('--all: every prompt with a suite; one without is listed as skipped, not an error', async () => {
    const reg = registry();
    const r = await cli(['--json', 'eval', '--all'], { cwd: reg.dir });
    expect(r.exitCode).toBe(1);
    const doc = json<Doc>(r.stdout);
    expect(doc.reports.map((x) => x.prompt)).toEqual(['billing/refund', 'support/triage']);
    expect(doc.skipped).toEqual([{ prompt: 'docs/nosuite', reason: 'no eval suite (prompts/docs/nosuite/evals.yaml)' }]);
    // naming that prompt explicitly stays an error
    const named = await cli(['eval', 'docs/nosuite'], { cwd: reg.dir });
    expect(named.exitCode).toBe(2);
    expect(named.stderr).toContain('prompt "docs/nosuite" has no eval suite');
  });

  it('--changed: the prompts whose version files or suite differ from the merge-base with --base (committed, staged, untracked)', async () => {
    const reg = registry({ git: true });
    reg.git('branch', 'base');
    reg.git('checkout', '-q', '-b', 'feature');
    // committed on the branch: a suite change
    reg.write('prompts/billing/refund/evals.yaml', suite(['works']));
    reg.commitAll('billing suite');
    // the base branch moves on with a change this branch does not have: not this branch's change
    reg.git('checkout', '-q', 'base');
    reg.write('prompts/docs/nosuite/1.1.0.yaml', version('docs/nosuite', '1.1.0', 'Docs 2'));
    reg.commitAll('docs on base');
    reg.git('checkout', '-q', 'feature');
    // untracked: a new version
    reg.write('prompts/support/triage/1.2.0.yaml', version('support/triage', '1.2.0', 'Triage best'));
    const r = await cli(['--json', 'eval', '--changed', '--base', 'base'], { cwd: reg.dir });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = json<Doc>(r.stdout);
    expect(doc.reports.map((x) => `${x.prompt}@${x.version}`)).toEqual(['billing/refund@1.0.0', 'support/triage@1.2.0']);
    expect(doc.selection?.mode).toBe('changed');
    expect(doc.selection?.base?.commit).toBe(reg.git('merge-base', 'base', 'HEAD').trim());
    expect(r.stderr).toMatch(/changed since base, merge-base [0-9a-f]{12}: 2 prompt\(s\): billing\/refund, support\/triage/);
    // a prompt without a suite that changed is skipped; nothing changed since HEAD but the untracked file
    reg.write('prompts/docs/nosuite/1.0.1.yaml', version('docs/nosuite', '1.0.1', 'Docs fix'));
    const head = json<Doc>((await cli(['--json', 'eval', '--changed', '--base', 'HEAD'], { cwd: reg.dir })).stdout);
    expect(head.reports.map((x) => x.prompt)).toEqual(['support/triage']);
    expect(head.skipped).toEqual([{ prompt: 'docs/nosuite', reason: 'no eval suite (prompts/docs/nosuite/evals.yaml)' }]);
  });

  it('--changed defaults to origin/$GITHUB_BASE_REF under GitHub Actions, else the upstream, else HEAD; nothing changed is exit 0', async () => {
    const reg = registry({ git: true });
    reg.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    reg.write('prompts/billing/refund/evals.yaml', suite(['works']));
    reg.commitAll('change');
    const gh = await cli(['--json', 'eval', '--changed'], { cwd: reg.dir, env: { GITHUB_BASE_REF: 'main' } });
    expect(gh.exitCode, gh.stderr).toBe(0);
    expect(json<Doc>(gh.stdout).reports.map((x) => x.prompt)).toEqual(['billing/refund']);
    expect(gh.stderr).toContain('changed since origin/main ($GITHUB_BASE_REF)');
    const none = await cli(['eval', '--changed'], { cwd: reg.dir, env: { GITHUB_BASE_REF: undefined } });
    expect(none.exitCode).toBe(0);
    expect(none.stderr).toContain('changed since HEAD (uncommitted changes only)');
    expect(none.stdout).toContain('no prompt changed: nothing to evaluate');
    reg.git('branch', 'upstream-base', 'HEAD~1');
    reg.git('branch', '--set-upstream-to', 'upstream-base');
    const up = await cli(['--json', 'eval', '--changed'], { cwd: reg.dir, env: { GITHUB_BASE_REF: undefined } });
    expect(up.stderr).toContain('changed since @{upstream} (the upstream branch)');
    expect(json<Doc>(up.stdout).reports.map((x) => x.prompt)).toEqual(['billing/refund']);
  });

  it.each([
    [['--all', 'support/triage'], '--all selects the prompts itself; do not also name references'],
    [['--all', '--changed'], '--all and --changed cannot be used together'],
    [[], 'eval needs what to evaluate: <ref>..., --all or --changed'],
    [['support/triage', '--base', 'no-such-rev'], 'unknown revision "no-such-rev" for --base (the trusted provider config is read from it)'],
    [['--changed', '--base', 'no-such-rev'], 'unknown revision "no-such-rev" for --base'],
    [['support/triage', '--repeat', '0'], '--repeat must be a whole number from 1 to 100'],
    [['support/triage', '--repeat', '2', '--replay'], '--repeat cannot be combined with --replay'],
    [['support/triage', '--case-pass-rate', '0'], '--case-pass-rate must be a number above 0 and at most 1'],
    [['support/triage', '--max-cost', '-1'], '--max-cost must be an amount in USD'],
    [['support/triage', '--shard', '3/2'], '--shard must be i/n with 1 <= i <= n <= 1024'],
    [['support/triage', '--provider', 'offline,,llm'], '--provider needs provider names separated by commas'],
    [['support/triage', '--provider', 'offline,offline'], '--provider names "offline" twice'],
    [['support/triage', '--provider', 'offline,nope'], 'unknown provider "nope"'],
    [['support/triage', '--provider', 'llm', '--max-cost', '1', '--env', 'nope'], 'unknown environment "nope"'],
  ])('usage error %j exits 2 and writes nothing', async (args, message) => {
    const reg = registry({ git: true });
    const r = await cli(['eval', ...args], { cwd: reg.dir });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(fs.existsSync(path.join(reg.dir, '.prompts/evals'))).toBe(false);
  });
});

describe('providers side by side', () => {
  it('--provider a,b runs the same version on each: columns in text, one report each in JSON', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', suite(['refund', 'crash'], '[{ type: contains, value: "OK" }]'));
    const r = await cli(['eval', 'support/triage', '--provider', 'offline,llm'], { cwd: reg.dir });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^CASE\s+offline\/echo-1\s+llm\/echo-1$/m);
    expect(r.stdout).toMatch(/^refund\s+FAIL \d+ms\s+PASS \d+ms$/m);
    expect(r.stdout).toContain('[offline/echo-1] contains: expected output to contain "OK"');
    expect(r.stdout).toMatch(/support\/triage@1\.1\.0 on offline\/echo-1: 0\/2 passed/);
    expect(r.stdout).toMatch(/support\/triage@1\.1\.0 on llm\/echo-1: 2\/2 passed/);
    const j = json<Doc>((await cli(['--json', 'eval', 'support/triage', '--provider', 'offline,llm:other-model'], { cwd: reg.dir })).stdout);
    expect(j.reports.map((x) => [x.provider, (x as unknown as { model: string }).model, x.passed])).toEqual([['offline', 'echo-1', 0], ['llm', 'other-model', 2]]);
    expect(fixture.server().requests.at(-1)!.body.model).toBe('other-model');
    // JUnit: one suite per provider
    const junit = await cli(['eval', 'support/triage', '--provider', 'offline,llm', '--format', 'junit'], { cwd: reg.dir });
    expect(junit.stdout).toContain('<testsuite name="support/triage@1.1.0 on offline"');
    expect(junit.stdout).toContain('<testsuite name="support/triage@1.1.0 on llm"');
  });
});

describe('--repeat and --max-cost', () => {
  it('--repeat N records each case\'s pass rate; case_pass_rate from the suite decides', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', `defaults: { repeat: 3, case_pass_rate: 0.6 }\n${suite(['refund'])}`);
    const r = await cli(['--json', 'eval', 'support/triage'], { cwd: reg.dir });
    expect(r.exitCode).toBe(0);
    const rep = json<{ repeat: number; case_pass_rate: number; results: { runs: number; runs_passed: number; pass_rate: number; repeats: unknown[] }[] }>(r.stdout);
    expect(validateReport(rep), JSON.stringify(validateReport.errors)).toBe(true);
    expect(rep).toMatchObject({ repeat: 3, case_pass_rate: 0.6, results: [{ runs: 3, runs_passed: 3, pass_rate: 1 }] });
    expect(rep.results[0]!.repeats).toHaveLength(3);
    const flag = json<{ repeat: number }>((await cli(['--json', 'eval', 'support/triage', '--repeat', '2'], { cwd: reg.dir })).stdout);
    expect(flag.repeat).toBe(2);
    const replay = await cli(['eval', 'support/triage', '--replay'], { cwd: reg.dir });
    expect(replay.exitCode).toBe(2);
    expect(replay.stderr).toContain('--replay cannot repeat cases, but prompts/support/triage/evals.yaml asks for 3 runs per case');
  });

  it('--max-cost stops before the budget would be exceeded: budget_exhausted, exit 1', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', suite(Array.from({ length: 12 }, (_, i) => `c${i}`)));
    // each request is estimated at (ceil(~24/4) + 4 + 50) tokens × $1,000 per 1M ≈ $0.06
    const r = await cli(['--json', 'eval', 'support/triage', '--provider', 'llm', '--no-cache', '--max-cost', '0.2', '--concurrency', '1'], { cwd: reg.dir });
    expect(r.exitCode).toBe(1);
    const rep = json<{ budget_exhausted: boolean; max_cost_usd: number; cases: number; cost_usd: number; stopped: string; ok: boolean }>(r.stdout);
    expect(rep).toMatchObject({ budget_exhausted: true, max_cost_usd: 0.2, ok: false });
    expect(rep.cases).toBeGreaterThan(0);
    expect(rep.cases).toBeLessThan(12);
    expect(rep.cost_usd).toBeLessThanOrEqual(0.2);
    const text = await cli(['eval', 'support/triage', '--provider', 'llm', '--no-cache', '--max-cost', '0.2'], { cwd: reg.dir });
    expect(text.stdout).toContain('budget exhausted: --max-cost $0.2');
    // a model without a price cannot be budgeted: exit 2 before any request
    reg.write('prompts.config.yaml', fs.readFileSync(path.join(reg.dir, 'prompts.config.yaml'), 'utf8').replace(', prices: { echo-1: { input_per_1m: 1000, output_per_1m: 1000 } }', ''));
    const before = fixture.server().requests.length;
    const noPrice = await cli(['eval', 'support/triage', '--provider', 'llm', '--max-cost', '1'], { cwd: reg.dir });
    expect(noPrice.exitCode).toBe(2);
    expect(noPrice.stderr).toContain('--max-cost needs the price of model "echo-1" of provider "llm"');
    expect(fixture.server().requests.length).toBe(before);
  });
});

describe('--shard and report merge', () => {
  const NAMES = Array.from({ length: 30 }, (_, i) => `case ${i}`);
  it('4 shards merge into the unsharded report, case for case; merge refusals are exit 1, unreadable input exit 2', async () => {
    const reg = registry();
    reg.write('prompts/support/triage/evals.yaml', suite(NAMES, '[{ type: contains, value: "5" }]'));
    const full = json<Record<string, unknown> & { results: Record<string, unknown>[] }>((await cli(['--json', 'eval', 'support/triage', '--baseline', '1.0.0'], { cwd: reg.dir })).stdout);
    for (const i of [1, 2, 3, 4]) {
      const s = await cli(['eval', 'support/triage', '--baseline', '1.0.0', '--shard', `${i}/4`, '-o', `shard-${i}.json`, '-q'], { cwd: reg.dir });
      expect([0, 1]).toContain(s.exitCode);
      const rep = json<{ shard: unknown; results: { index: number }[] }>(fs.readFileSync(path.join(reg.dir, `shard-${i}.json`), 'utf8'));
      expect(rep.shard).toMatchObject({ index: i, count: 4, total: 30 });
      expect(rep.results.every((x) => typeof x.index === 'number')).toBe(true);
    }
    const m = await cli(['report', 'merge', 'shard-3.json', 'shard-1.json', 'shard-4.json', 'shard-2.json', '-o', 'merged.json'], { cwd: reg.dir });
    // against the baseline the same cases fail (no regression): the merged eval is ok
    expect(m.exitCode, m.stderr).toBe(0);
    expect(m.stderr).toContain('merged 4 shard(s) of support/triage@1.1.0 on offline: 3/30 passed');
    const merged = json<Record<string, unknown> & { results: Record<string, unknown>[]; merged: { shards: number; inputs: { shard: string; sha256: string }[] } }>(fs.readFileSync(path.join(reg.dir, 'merged.json'), 'utf8'));
    expect(validateReport(merged), JSON.stringify(validateReport.errors)).toBe(true);
    const norm = (r: Record<string, unknown> & { results: Record<string, unknown>[] }) => ({
      ...r,
      started_at: 0,
      duration_ms: 0,
      merged: null,
      latency: null,
      results: r.results.map((x) => ({ ...x, latency_ms: 0, assertions: (x.assertions as { type: string }[]).filter((a) => a.type !== 'latency') })),
    });
    expect(norm(merged)).toEqual(norm(full));
    expect(merged.merged.inputs.map((x) => x.shard)).toEqual(['1/4', '2/4', '3/4', '4/4']);
    // refusals
    const missing = await cli(['report', 'merge', 'shard-1.json', 'shard-2.json', 'shard-4.json'], { cwd: reg.dir });
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('error: cannot merge: support/triage@1.1.0 on offline: shard 3/4 is missing');
    fs.writeFileSync(path.join(reg.dir, 'other.json'), fs.readFileSync(path.join(reg.dir, 'shard-4.json'), 'utf8').replace(/"suite_sha256": "[0-9a-f]+"/, `"suite_sha256": "${'e'.repeat(64)}"`));
    const other = await cli(['report', 'merge', 'shard-1.json', 'shard-2.json', 'shard-3.json', 'other.json'], { cwd: reg.dir });
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toMatch(/cannot merge: shard-1\.json and other\.json \(support\/triage@1\.1\.0 on offline\) differ in suite sha256/);
    fs.writeFileSync(path.join(reg.dir, 'junk.json'), '{"hello": 1}');
    const junk = await cli(['report', 'merge', 'shard-1.json', 'junk.json'], { cwd: reg.dir });
    expect(junk.exitCode).toBe(2);
    expect(junk.stderr).toContain('report junk.json is not a promptrail eval report');
    const none = await cli(['report', 'merge', 'nope.json'], { cwd: reg.dir });
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain('report nope.json does not exist');
    // -o never replaces a file that is not a report
    const clobber = await cli(['report', 'merge', 'shard-1.json', 'shard-2.json', 'shard-3.json', 'shard-4.json', '-o', 'prompts.config.yaml'], { cwd: reg.dir });
    expect(clobber.exitCode).toBe(2);
    expect(clobber.stderr).toContain('not overwriting it');
  });

  it('a shard report is never stored where a gate would reuse it', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage', '--shard', '1/2', '-q'], { cwd: reg.dir });
    expect([0, 1]).toContain(r.exitCode);
    expect(fs.existsSync(path.join(reg.dir, '.prompts/evals/support/triage/1.1.0.json'))).toBe(false);
  });
});

describe('HTML and the step summary', () => {
  it('--format html -o writes the page; report html renders several files; -o never replaces a foreign file', async () => {
    const reg = registry();
    const r = await cli(['eval', 'support/triage', '--baseline', '1.0.0', '--format', 'html', '-o', 'out/report.html'], { cwd: reg.dir });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^support\/triage@1\.1\.0 on offline\/echo-1: 3\/3 passed/);
    const html = fs.readFileSync(path.join(reg.dir, 'out/report.html'), 'utf8');
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;'.replace('&#39;', "'").replace('&#39;', "'"));
    // a second run replaces its own page
    expect((await cli(['eval', 'support/triage', '--format', 'html', '-o', 'out/report.html'], { cwd: reg.dir })).exitCode).toBe(0);
    await cli(['eval', 'support/triage', '-o', 'a.json', '-q'], { cwd: reg.dir });
    await cli(['eval', 'billing/refund', '-o', 'b.json', '-q'], { cwd: reg.dir });
    const page = await cli(['report', 'html', 'a.json', 'b.json', '-o', 'both.html'], { cwd: reg.dir });
    expect(page.exitCode, page.stderr).toBe(0);
    const both = fs.readFileSync(path.join(reg.dir, 'both.html'), 'utf8');
    expect(both).toContain('"prompt":"support/triage"');
    expect(both).toContain('"prompt":"billing/refund"');
    const stdout = await cli(['report', 'html', 'a.json'], { cwd: reg.dir });
    expect(stdout.stdout.startsWith('<!doctype html>')).toBe(true);
    fs.writeFileSync(path.join(reg.dir, 'notes.html'), '<p>mine</p>');
    const clobber = await cli(['report', 'html', 'a.json', '-o', 'notes.html'], { cwd: reg.dir });
    expect(clobber.exitCode).toBe(2);
    expect(clobber.stderr).toContain('-o notes.html exists and was not generated by "prompts report html"; not overwriting it');
    expect(fs.readFileSync(path.join(reg.dir, 'notes.html'), 'utf8')).toBe('<p>mine</p>');
    const notReport = await cli(['report', 'html', 'prompts.config.yaml'], { cwd: reg.dir });
    expect(notReport.exitCode).toBe(2);
    expect(notReport.stderr).toContain('report prompts.config.yaml is not JSON');
  });

  it('GITHUB_STEP_SUMMARY: links the HTML artifact, lists regressions first, and escapes what a PR controls', async () => {
    const reg = registry();
    const hostile = 'x</td><img src=https://evil.example/p.png> [link](https://evil.example) @team `code` $x$';
    reg.write('prompts/support/triage/1.0.0.yaml', version('support/triage', '1.0.0', 'Triage GOOD'));
    reg.write('prompts/support/triage/evals.yaml', `cases:\n  - { name: ${JSON.stringify(hostile)}, vars: { q: a }, assert: [{ type: contains, value: GOOD }] }\n  - { name: fine, vars: { q: a }, assert: [{ type: contains, value: Triage }] }\n  - { name: also failing, vars: { q: a }, assert: [{ type: contains, value: NEVER }] }\n`);
    const summary = path.join(reg.dir, 'summary.md');
    const env = { GITHUB_STEP_SUMMARY: summary, GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/prompts', GITHUB_RUN_ID: '42' };
    const r = await cli(['eval', 'support/triage', 'billing/refund', '--baseline', '1.0.0', '--format', 'html', '-o', 'eval-report.html', '--artifact-name', 'eval-report'], { cwd: reg.dir, env });
    expect(r.exitCode).toBe(1);
    const md = fs.readFileSync(summary, 'utf8');
    expect(md).toContain("📄 HTML report: artifact **eval\\-report** — download it from [this run's artifacts](https://github.com/acme/prompts/actions/runs/42#artifacts)");
    const regs = md.indexOf('#### Regressions (1)');
    expect(regs).toBeGreaterThan(0);
    expect(regs).toBeLessThan(md.indexOf('| status | prompt |'));
    expect(md.indexOf('#### Other failing cases')).toBeGreaterThan(md.indexOf('| status | prompt |'));
    // no markup from the case name survives: no tag, no link, no image, no mention, no code span, no math
    expect(md).not.toContain('<img');
    expect(md).not.toContain('</td>');
    expect(md).not.toContain('](https://evil');
    expect(md).not.toContain('@team');
    expect(md).toContain('x&lt;/td&gt;&lt;img src=https://evil.example/p.png&gt; \\[link\\]\\(https://evil.example\\) &#64;team \\`code\\` \\$x\\$');
    // a plain single-prompt run: regressions first in its table
    fs.rmSync(summary);
    await cli(['eval', 'support/triage', '--baseline', '1.0.0'], { cwd: reg.dir, env: { GITHUB_STEP_SUMMARY: summary } });
    const rows = fs.readFileSync(summary, 'utf8').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| status'));
    expect(rows[0]).toContain('**(regression)**');
    expect(rows[1]).toContain('also failing');
  });
});

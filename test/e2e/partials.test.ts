/**
 * The template library end to end with the built CLI and real git (SPEC §14): validate's errors
 * with file:line:col, promote and rollout start recording deps, an edited released partial
 * caught by validate, status, promote and build, bump --use, deps/dependents/outdated, new
 * --partial, and a bundle that is self-contained.
 */
import { describe, it, expect, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli.js';
import { registriesPerTest, BASIC_CONFIG, type TempRegistry } from '../helpers/registry.js';

// many CLI runs per test, on a shared machine
vi.setConfig({ testTimeout: 180_000 });
const make = registriesPerTest();
const TONE = (v: string, template: string, extra = ''): string => `id: shared/tone
version: ${v}
kind: partial
created: 2026-12-01
inputs:
  type: object
  properties:
    customer_name: { type: string }${extra}
template: |
  ${template}
`;
const PROMPT = (id: string, v: string, uses: string, body = '{{> tone}}', inputs = '    customer_name: { type: string }\n'): string => `id: ${id}
version: ${v}
created: 2026-12-01
model: { provider: offline, name: echo }
uses: { ${uses} }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string }
${inputs}messages:
  - role: system
    content: |
      Support agent.
      ${body}
  - role: user
    content: "{{ticket}}"
`;

function library(): TempRegistry {
  const r = make({ git: true, config: BASIC_CONFIG.replace(/ {2}staging:[\s\S]*?(?=providers:)/, '  staging:\n    requires: development\n') });
  r.write('prompts/shared/tone/1.0.0.yaml', TONE('1.0.0', 'Be warm.{{#if customer_name}} Hi {{customer_name}}.{{/if}}'));
  r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: shared/tone@1.0.0'));
  r.write('prompts/sales/reply/1.0.0.yaml', PROMPT('sales/reply', '1.0.0', 'tone: shared/tone@1.0.0'));
  r.commitAll('library');
  return r;
}
const run = (r: TempRegistry, ...args: string[]) => cli(args, { cwd: r.dir });
const envOf = (r: TempRegistry, env: string): string => readFileSync(path.join(r.dir, 'environments', `${env}.yaml`), 'utf8');

describe('validate: template library errors at file:line:col', () => {
  const cases: [string, (r: TempRegistry) => void, { file: string; line?: number; column?: number; rule: string; message?: RegExp }][] = [
    ['unknown partial id', (r) => r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: shared/nope@1.0.0')), { file: 'prompts/support/triage/1.0.0.yaml', line: 5, column: 15, rule: 'uses-unknown', message: /no prompt or partial "shared\/nope"/ }],
    ['unknown partial version', (r) => r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: shared/tone@3.0.0')), { file: 'prompts/support/triage/1.0.0.yaml', line: 5, column: 15, rule: 'uses-unknown', message: /has no version 3\.0\.0 \(versions: 1\.0\.0\)/ }],
    ['undeclared include', (r) => r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: shared/tone@1.0.0', '{{> tone}} {{> other}}')), { file: 'prompts/support/triage/1.0.0.yaml', rule: 'partial-undeclared', message: /partial "other" is not declared/ }],
    ['variable of the partial missing in the includer', (r) => r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: shared/tone@1.0.0', '{{> tone}}', '')), { file: 'prompts/support/triage/1.0.0.yaml', rule: 'input-undeclared', message: /shared\/tone@1\.0\.0 \(included as \{\{> tone\}\}\) uses "customer_name"/ }],
    ['a prompt used as a partial', (r) => r.write('prompts/support/triage/1.0.0.yaml', PROMPT('support/triage', '1.0.0', 'tone: sales/reply@1.0.0')), { file: 'prompts/support/triage/1.0.0.yaml', line: 5, column: 15, rule: 'uses-not-partial' }],
    ['extends of a partial', (r) => r.write('prompts/x/child/1.0.0.yaml', 'id: x/child\nversion: 1.0.0\nextends: shared/tone@1.0.0\n'), { file: 'prompts/x/child/1.0.0.yaml', line: 3, column: 10, rule: 'extends-partial' }],
    [
      'a cycle of partials',
      (r) => {
        r.write('prompts/shared/a/1.0.0.yaml', 'id: shared/a\nversion: 1.0.0\nkind: partial\nuses: { b: shared/b@1.0.0 }\ntemplate: "{{> b}}"\n');
        r.write('prompts/shared/b/1.0.0.yaml', 'id: shared/b\nversion: 1.0.0\nkind: partial\nuses: { a: shared/a@1.0.0 }\ntemplate: "{{> a}}"\n');
      },
      { file: 'prompts/shared/a/1.0.0.yaml', line: 4, column: 12, rule: 'partial-cycle' },
    ],
    [
      'nesting beyond the limit',
      (r) => {
        for (let i = 0; i < 10; i++) r.write(`prompts/deep/p${i}/1.0.0.yaml`, `id: deep/p${i}\nversion: 1.0.0\nkind: partial\n${i < 9 ? `uses: { n: deep/p${i + 1}@1.0.0 }\ntemplate: "{{> n}}"` : 'template: end'}\n`);
        r.write('prompts/deep/root/1.0.0.yaml', 'id: deep/root\nversion: 1.0.0\nmodel: { provider: offline, name: echo }\nuses: { n: deep/p0@1.0.0 }\ntemplate: "{{> n}}"\n');
      },
      { file: 'prompts/deep/p7/1.0.0.yaml', rule: 'partial-depth' },
    ],
    ['a partial file that is not a partial (a kind: partial with a model)', (r) => r.write('prompts/shared/tone/1.0.0.yaml', `${TONE('1.0.0', 'x')}model: { provider: offline, name: echo }\n`), { file: 'prompts/shared/tone/1.0.0.yaml', rule: 'schema-unknown-key' }],
  ];
  for (const [name, mutate, expected] of cases) {
    it(name, async () => {
      const r = library();
      mutate(r);
      const v = await run(r, 'validate', '--json');
      expect(v.exitCode, v.stdout + v.stderr).toBe(1);
      const j = JSON.parse(v.stdout) as { errors: { file: string; line: number; column: number; rule: string; message: string }[] };
      const hit = j.errors.find((e) => e.file === expected.file && e.rule === expected.rule);
      expect(hit, JSON.stringify(j.errors)).toBeDefined();
      if (expected.line !== undefined) expect([hit!.line, hit!.column]).toEqual([expected.line, expected.column]);
      expect(hit!.line).toBeGreaterThan(1);
      if (expected.message) expect(hit!.message).toMatch(expected.message);
      // the text format names the same place
      expect((await run(r, 'validate')).stdout).toContain(`${hit!.line}:${hit!.column}`);
    });
  }
});

describe('pins record deps; an edited released partial is caught', () => {
  it('promote records deps, validate/status/promote/build catch an edited partial, restoring it clears them', async () => {
    const r = library();
    expect((await run(r, 'validate')).exitCode).toBe(0);
    const p = await run(r, 'promote', 'support/triage', '--env', 'development');
    expect(p.exitCode, p.stderr).toBe(0);
    const env = envOf(r, 'development');
    expect(env).toMatch(/ {4}deps: \{ "shared\/tone@1\.0\.0": [0-9a-f]{64} \}\n/);
    expect(env).toMatch(/action: promote, version: 1\.0\.0, from: null, sha256: [0-9a-f]{64}, deps: \{ "shared\/tone@1\.0\.0": /);
    expect(r.git('show', '-s', '--format=%B', 'HEAD')).toMatch(/Dep: shared\/tone@1\.0\.0 [0-9a-f]{64}/);
    expect(r.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('environments/development.yaml');

    // edit the released partial (committed, so only the digests can tell)
    const tone = path.join(r.dir, 'prompts/shared/tone/1.0.0.yaml');
    const before = readFileSync(tone, 'utf8');
    writeFileSync(tone, before.replace('Be warm.', 'Be cold.'));
    r.commitAll('sneaky edit');
    const v = await run(r, 'validate');
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/environments\/development\.yaml[\s\S]*pin-dep-changed/);
    expect(v.stdout).toMatch(/prompts\/shared\/tone\/1\.0\.0\.yaml changed after support\/triage@1\.0\.0 was pinned in development/);
    const s = await run(r, 'status');
    expect(s.exitCode).toBe(1);
    expect(s.stdout).toMatch(/DEP CHANGED/);
    // another prompt that includes the edited partial cannot be promoted either (its sha256 was recorded through support/triage)
    const envBefore = envOf(r, 'development');
    const p2 = await run(r, 'promote', 'sales/reply', '--env', 'development');
    expect(p2.exitCode).toBe(1);
    expect(p2.stderr).toMatch(/resolved from shared\/tone@1\.0\.0, which changed after it was pinned in "development" \(through support\/triage\)/);
    expect(envOf(r, 'development')).toBe(envBefore);
    const b = await run(r, 'build', '--env', 'development', '-o', 'bundle.json');
    expect(b.exitCode).not.toBe(0);
    expect(b.stderr).toMatch(/resolved from other files than environments\/development\.yaml recorded/);

    writeFileSync(tone, before);
    r.commitAll('restore');
    expect((await run(r, 'validate')).exitCode).toBe(0);
    expect((await run(r, 'status')).exitCode).toBe(0);
  });

  it('a partial only history recorded (no pin uses it now) is still released: editing it is released-version-changed', async () => {
    const r = library();
    expect((await run(r, 'promote', 'support/triage', '--env', 'development')).exitCode).toBe(0);
    r.write('prompts/shared/tone/1.1.0.yaml', TONE('1.1.0', 'Be warmer.{{#if customer_name}} Hi {{customer_name}}.{{/if}}'));
    r.commitAll('tone 1.1.0');
    expect((await run(r, 'bump', 'support/triage', '--use', 'shared/tone@1.1.0')).exitCode).toBe(0);
    r.commitAll('triage 1.0.1');
    expect((await run(r, 'promote', 'support/triage@1.0.1', '--env', 'development')).exitCode).toBe(0);
    expect((await run(r, 'validate')).exitCode).toBe(0);
    const tone = path.join(r.dir, 'prompts/shared/tone/1.0.0.yaml');
    writeFileSync(tone, readFileSync(tone, 'utf8').replace('Be warm.', 'Be cold.'));
    const v = await run(r, 'validate', '--json');
    expect(v.exitCode).toBe(1);
    expect(JSON.parse(v.stdout).errors).toEqual([expect.objectContaining({ file: 'prompts/shared/tone/1.0.0.yaml', rule: 'released-version-changed' })]);
    // the rollback target is resolved from it: rollback refuses the changed bytes
    const rb = await run(r, 'rollback', 'support/triage', '--env', 'development', '--no-commit');
    expect(rb.exitCode).toBe(1);
    expect(rb.stderr).toMatch(/shared\/tone@1\.0\.0, which changed after it was pinned/);
  });

  it('a pin whose deps were trimmed by hand is a hand-edited pin (env-history-tampered: its history recorded the deps)', async () => {
    const r = library();
    expect((await run(r, 'promote', 'support/triage', '--env', 'development')).exitCode).toBe(0);
    const file = path.join(r.dir, 'environments/development.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/ {4}deps: \{[^\n]*\n/, ''));
    const v = await run(r, 'validate');
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/the pin's deps is nothing, but its newest history entry \(promote none -> 1\.0\.0[^\n]*recorded \{"shared\/tone@1\.0\.0":"[0-9a-f]{64}"\}: the pin was edited by hand[\s\S]*env-history-tampered/);
    expect(v.stdout).not.toMatch(/pin-deps-mismatch/);
  });

  it('promote refuses a partial that is not committed (exit 3) and never pins a partial alone (exit 2)', async () => {
    const r = library();
    writeFileSync(path.join(r.dir, 'prompts/shared/tone/1.0.0.yaml'), TONE('1.0.0', 'Be warm and uncommitted.{{#if customer_name}}{{customer_name}}{{/if}}'));
    const p = await run(r, 'promote', 'support/triage', '--env', 'development');
    expect(p.exitCode).toBe(3);
    expect(p.stderr).toMatch(/prompts\/shared\/tone\/1\.0\.0\.yaml, which it is resolved from \(a partial or parent\), has uncommitted changes/);
    r.git('checkout', '--', '.');
    const q = await run(r, 'promote', 'shared/tone', '--env', 'development');
    expect(q.exitCode).toBe(2);
    expect(q.stderr).toMatch(/is a partial: it is pinned through the prompts that include it/);
  });
});

describe('the worked example: a shared tone updated, outdated, bump --use, rollout and promote', () => {
  it('moves a prompt to a new partial version with the computed level and records the candidate\'s deps', async () => {
    const r = library();
    expect((await run(r, 'promote', 'support/triage', '--env', 'development')).exitCode).toBe(0);
    r.write('prompts/shared/tone/1.1.0.yaml', TONE('1.1.0', 'Be warm. Sign as {{agent}}.{{#if customer_name}} Hi {{customer_name}}.{{/if}}', '\n    agent: { type: string }\n  required: [agent]'));
    r.commitAll('tone 1.1.0');

    const o = await run(r, 'outdated');
    expect(o.exitCode).toBe(0);
    expect(o.stdout).toMatch(/sales\/reply@1\.0\.0 +tone +shared\/tone +1\.0\.0 +1\.1\.0/);
    const oj = JSON.parse((await run(r, 'outdated', '--json')).stdout) as { outdated: { id: string; command: string }[] };
    expect(oj.outdated.map((x) => x.command)).toEqual(['prompts bump sales/reply --use shared/tone@1.1.0', 'prompts bump support/triage --use shared/tone@1.1.0']);

    const d = await run(r, 'dependents', 'shared/tone', '--json');
    expect(JSON.parse(d.stdout).dependents.map((x: { id: string; uses: string; pinnedIn: string[] }) => [x.id, x.uses, x.pinnedIn])).toEqual([
      ['sales/reply', '1.0.0', []],
      ['support/triage', '1.0.0', ['development']],
    ]);

    const b = await run(r, 'bump', 'support/triage', '--use', 'shared/tone@1.1.0');
    expect(b.exitCode, b.stderr).toBe(0);
    expect(b.stderr).toMatch(/1\.0\.0 -> 2\.0\.0 \(major/);
    const next = readFileSync(path.join(r.dir, 'prompts/support/triage/2.0.0.yaml'), 'utf8');
    expect(next).toMatch(/uses: \{ tone: shared\/tone@1\.1\.0 \}/);
    expect(next).toMatch(/agent: \{ type: string \}/);
    expect(r.git('status', '--porcelain', 'prompts/support/triage/1.0.0.yaml')).toBe('');
    expect((await run(r, 'validate')).exitCode).toBe(0);
    r.commitAll('bump');

    const diff = await run(r, 'diff', 'support/triage@1.0.0', 'support/triage@2.0.0', '--format', 'json');
    const dj = JSON.parse(diff.stdout) as { partials: { path: string; from: string; to: string }[]; requires: { level: string } };
    expect(dj.partials.map((x) => [x.path, x.from, x.to])).toEqual([['tone', 'shared/tone@1.0.0', 'shared/tone@1.1.0']]);
    expect(dj.requires.level).toBe('major');

    const rs = await run(r, 'rollout', 'start', 'support/triage@2.0.0', '--env', 'development', '--weight', '10');
    expect(rs.exitCode, rs.stderr).toBe(0);
    expect(envOf(r, 'development')).toMatch(/ {4}rollout:\n {6}version: 2\.0\.0\n {6}sha256: [0-9a-f]{64}\n {6}deps: \{ "shared\/tone@1\.1\.0": [0-9a-f]{64} \}\n/);
    expect((await run(r, 'validate')).exitCode).toBe(0);
    const dep = JSON.parse((await run(r, 'deps', 'support/triage@development:candidate', '--json')).stdout) as { deps: Record<string, string>; matches: boolean };
    expect(Object.keys(dep.deps)).toEqual(['shared/tone@1.1.0']);
    expect(dep.matches).toBe(true);
    const c = await run(r, 'rollout', 'complete', 'support/triage', '--env', 'development');
    expect(c.exitCode, c.stderr).toBe(0);
    expect(envOf(r, 'development')).toMatch(/ {4}version: 2\.0\.0\n {4}sha256: [0-9a-f]{64}\n {4}deps: \{ "shared\/tone@1\.1\.0": /);
    const s = await run(r, 'promote', 'support/triage', '--env', 'staging');
    expect(s.exitCode, s.stderr).toBe(0);
    expect(envOf(r, 'staging')).toMatch(/deps: \{ "shared\/tone@1\.1\.0"/);
    expect((await run(r, 'status')).exitCode).toBe(0);
  });
});

describe('bundles are self-contained', () => {
  it('carries resolved templates, deps and their sources; renders with no registry; a tampered dep source is refused', async () => {
    const r = library();
    expect((await run(r, 'promote', 'support/triage', '--env', 'development')).exitCode).toBe(0);
    const out = path.join(r.dir, 'bundle.json');
    expect((await run(r, 'build', '--env', 'development', '-o', out)).exitCode).toBe(0);
    const bundle = JSON.parse(readFileSync(out, 'utf8')) as { prompts: Record<string, { deps: Record<string, string>; dep_sources: Record<string, string>; partials: Record<string, unknown> }> };
    const e = bundle.prompts['support/triage']!;
    expect(Object.keys(e.deps)).toEqual(['shared/tone@1.0.0']);
    expect(Object.keys(e.partials)).toEqual(['shared/tone@1.0.0']);
    expect(e.dep_sources['shared/tone@1.0.0']).toBe(readFileSync(path.join(r.dir, 'prompts/shared/tone/1.0.0.yaml'), 'utf8'));
    // load it far from the registry
    const { loadBundle } = await import('../../src/index.js');
    const elsewhere = make();
    const copy = path.join(elsewhere.dir, 'b.json');
    writeFileSync(copy, JSON.stringify(bundle));
    const set = await loadBundle(copy, { verify: 'full' });
    expect(set.get('support/triage').render({ ticket: 't', customer_name: 'Ana' }).messages[0]!.content).toBe('Support agent.\nBe warm. Hi Ana.\n');
    const tampered = structuredClone(bundle);
    tampered.prompts['support/triage']!.dep_sources['shared/tone@1.0.0'] = e.dep_sources['shared/tone@1.0.0']!.replace('warm', 'rude');
    writeFileSync(copy, JSON.stringify(tampered));
    await expect(loadBundle(copy)).rejects.toThrow(/the source of shared\/tone@1\.0\.0 does not match its sha256 in deps/);
    const swapped = structuredClone(bundle) as unknown as { prompts: Record<string, { partials: Record<string, { template: string }> }> };
    swapped.prompts['support/triage']!.partials['shared/tone@1.0.0']!.template = 'Be rude.';
    writeFileSync(copy, JSON.stringify(swapped));
    await expect(loadBundle(copy)).rejects.toThrow(/altered/);
  });
});

describe('new --partial, deps, show', () => {
  it('writes a valid partial; deps prints the closure; show prints a partial', async () => {
    const r = library();
    const n = await run(r, 'new', 'shared/safety', '--partial');
    expect(n.exitCode).toBe(0);
    const text = readFileSync(path.join(r.dir, 'prompts/shared/safety/1.0.0.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=.*partial\.schema\.json\n[\s\S]*kind: partial/);
    expect((await run(r, 'validate')).exitCode).toBe(0);
    expect((await run(r, 'new', 'x/y', '--partial', '--from', 'shared/tone@1.0.0')).exitCode).toBe(2);
    const d = await run(r, 'deps', 'support/triage@1.0.0');
    expect(d.exitCode).toBe(0);
    expect(d.stdout).toMatch(/^support\/triage@1\.0\.0 .*\n {2}\{\{> tone\}\} shared\/tone@1\.0\.0 +[0-9a-f]{12}…\n$/);
    const s = await run(r, 'show', 'shared/tone@1.0.0');
    expect(s.exitCode).toBe(0);
    expect(s.stdout).toContain('kind: partial');
    const h = await run(r, 'render', 'shared/tone@1.0.0', '--var', 'customer_name=Bo');
    expect(h.exitCode, h.stderr).toBe(0);
    expect(h.stdout).toContain('Be warm. Hi Bo.');
  });
});

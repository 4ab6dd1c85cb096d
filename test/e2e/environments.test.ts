/** The built CLI end to end: promote, rollback, history, status and diff as a user runs them. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, appendFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';

const CONFIG = `environments:
  development: {}
  staging: { requires: development, gate: { min_pass_rate: 0.8 } }
  production: { requires: staging, overrides: { model: { parameters: { temperature: 0.1 } } } }
providers:
  offline: { type: echo }
`;

let r: TempRegistry;
beforeAll(async () => {
  r = makeRegistry({ git: true, config: CONFIG, prompts: { 'support/triage': ['1.0.0', '1.1.0'], summarize: ['1.0.0'] } });
  r.write('prompts/support/triage/1.2.0.yaml', promptYaml('support/triage', '1.2.0', { body: '\n      Be concise.' }).replace('description: Classify a support ticket', 'description: Classify and reply'));
  r.write('.gitignore', '.prompts/\n');
  r.commitAll('init');
});
afterAll(() => r.cleanup());

const run = (args: string[], env?: Record<string, string>) => cli(args, { cwd: r.dir, env });

describe('environments end to end', () => {
  it('promote through the chain, refuse out of order, roll back, and show history and status', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const res = await run(['promote', `support/triage@${v}`, '--env', 'development']);
      expect(res.exitCode, res.stderr).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`^promoted support/triage .* -> ${v.replace(/\./g, '\\.')} in development \\(commit [0-9a-f]{12}\\)\\n$`));
    }
    // the gated env refuses without a suite unless skipped with a reason
    let res = await run(['promote', 'support/triage', '--env', 'staging']);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: refused: the gate of "staging"/);
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    res = await run(['promote', 'support/triage', '--env', 'staging', '--skip-eval', '--reason', 'suite pending']);
    expect(res.exitCode, res.stderr).toBe(0);
    // production requires staging: 1.1.0 was never in staging
    res = await run(['promote', 'support/triage@1.1.0', '--env', 'production']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/never been pinned in "staging"/);
    res = await run(['--json', 'promote', 'support/triage', '--env', 'production', '--reason', 'ship it']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, action: 'promote', env: 'production', from: null, to: '1.2.0', reason: 'ship it' });

    // rollback walks back in development
    res = await run(['rollback', 'support/triage', '--env', 'development', '--reason', 'latency spike']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^rolled back support\/triage 1\.2\.0 -> 1\.1\.0 in development/);
    expect(res.stderr).toMatch(/previous is now 1\.0\.0/);

    // history: env-file entries merged with commits
    res = await run(['history', 'support/triage']);
    expect(res.exitCode).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}development {2}rollback {2}1\.2\.0 -> 1\.1\.0 {2}[0-9a-f]{12}$/);
    expect(res.stdout).toContain('    reason: latency spike');
    expect(res.stdout).toContain('    eval: skipped (--skip-eval)');
    expect(res.stdout).toContain('    by Test User <test@example.com>');
    res = await run(['--json', 'history', 'support/triage', '--env', 'production']);
    const h = JSON.parse(res.stdout);
    expect(h.entries).toHaveLength(1);
    expect(h.entries[0]).toMatchObject({ env: 'production', action: 'promote', to: '1.2.0', reason: 'ship it', source: 'both' });
    expect(h.entries[0].commit.hash).toMatch(/^[0-9a-f]{40}$/);

    // status: a table; --json
    res = await run(['status']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['prompt', 'latest', 'development', 'staging', 'production']);
    expect(res.stdout).toMatch(/support\/triage\s+1\.2\.0\s+1\.1\.0 \(behind\)\s+1\.2\.0\s+1\.2\.0\n/);
    expect(res.stdout).toMatch(/summarize\s+1\.0\.0\s+-\s+-\s+-/);
    res = await run(['--json', 'status']);
    const st = JSON.parse(res.stdout);
    expect(st).toMatchObject({ ok: true, broken: 0, environments: ['development', 'staging', 'production'] });
    expect(st.prompts.find((p: { id: string }) => p.id === 'support/triage').environments.development).toMatchObject({ version: '1.1.0', flags: ['behind'] });
  });

  it('status exits 1 when a pinned file changed (sha256 mismatch), and history of an unknown prompt exits 2', async () => {
    const file = path.join(r.dir, 'prompts/support/triage/1.2.0.yaml');
    const before = readFileSync(file);
    appendFileSync(file, '# edited after release\n');
    try {
      const res = await run(['status']);
      expect(res.exitCode).toBe(1);
      expect(res.stdout).toMatch(/1\.2\.0 \(SHA256 MISMATCH\)/);
      expect(res.stdout).toMatch(/2 broken pins/);
    } finally {
      writeFileSync(file, before);
    }
    const res = await run(['history', 'support/triag']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/unknown prompt "support\/triag"; did you mean "support\/triage"\?/);
  });

  it('diff: latest vs predecessor (text), env refs (markdown, appended to GITHUB_STEP_SUMMARY), json, bad format', async () => {
    let res = await run(['diff', 'support/triage']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain('support/triage@1.1.0 -> support/triage@1.2.0');
    expect(res.stdout).toContain('  ~ description: "Classify a support ticket" -> "Classify and reply"');
    expect(res.stdout).toMatch(/Message 2 \(user\) changed\n@@ -1,2 \+1,3 @@\n Ticket: \{\{ticket\}\}\n \{\{#if customer_tier\}\}Tier: \{\{customer_tier\}\}\{\{\/if\}\}\n\+Be concise\.\n/);
    const summary = path.join(r.dir, 'summary.md');
    writeFileSync(summary, '# before\n');
    res = await run(['diff', 'support/triage@development', 'support/triage@production', '--format', 'markdown'], { GITHUB_STEP_SUMMARY: summary });
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^### Prompt diff: `support\/triage` development \(1\.1\.0\) → production \(1\.2\.0\)/);
    expect(res.stdout).toContain('```diff');
    expect(readFileSync(summary, 'utf8')).toBe(`# before\n${res.stdout}\n`);
    // both pin 1.2.0: what differs is how each environment runs it (its overrides.model)
    res = await run(['diff', 'support/triage@staging', 'support/triage@production']);
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toContain('~ parameters.temperature: 0.2 -> 0.1');
    expect(res.stdout).not.toContain('requires:');
    res = await run(['diff', 'support/triage@1.0.0', 'support/triage@1.1.0', '--format', 'json']);
    const d = JSON.parse(res.stdout);
    expect(d).toMatchObject({ from: { version: '1.0.0' }, to: { version: '1.1.0' }, identical: false });
    res = await run(['diff', 'support/triage', '--format', 'html']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/unknown --format "html"/);
    res = await run(['diff', 'summarize']);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/has no earlier version/);
  });

  it('a hand-broken env file is reported with its position (built CLI, precompiled schemas)', async () => {
    const file = path.join(r.dir, 'environments/staging.yaml');
    const before = readFileSync(file);
    try {
      writeFileSync(file, before.toString('utf8').replace('    promoted_by:', '    promotedby:'));
      const res = await run(['promote', 'summarize@1.0.0', '--env', 'staging']);
      expect(res.exitCode).toBe(1);
      // one problem: the typo (the "missing" promoted_by is that same key, misspelled)
      expect(res.stderr).toMatch(/^error: environments\/staging\.yaml:\d+:\d+: unknown key "promotedby" in the pin of "support\/triage"; did you mean "promoted_by"\? \(a pin's keys: version, sha256, [^)]*\)\n$/);
    } finally {
      writeFileSync(file, before);
    }
  });

  it('rollback in production with nothing recorded exits 1 and writes nothing', async () => {
    const before = readFileSync(path.join(r.dir, 'environments/production.yaml'), 'utf8');
    const head = r.git('rev-parse', 'HEAD');
    const res = await run(['rollback', 'support/triage', '--env', 'production']);
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: nothing to roll back: support\/triage@1\.2\.0 in "production" has no recorded previous version/);
    expect(readFileSync(path.join(r.dir, 'environments/production.yaml'), 'utf8')).toBe(before);
    expect(r.git('rev-parse', 'HEAD')).toBe(head);
  });
});

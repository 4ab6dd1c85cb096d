/**
 * Issue 8 item 1, SPEC §11: committed state is never evidence. Files under .prompts/ that git
 * tracks (git add -f) or that are symbolic links change no decision of validate, eval or a
 * gate: a committed "passing" eval report is not reused, a committed cache is not read, and
 * validate reports each tracked state file (state-tracked, error), with --base too.
 */
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { arena, untouched } from './arena.js';

const PASSING = 'cases:\n  - name: ok\n    vars: { ticket: "hello" }\n    assert:\n      - { type: contains, value: "hello" }\n';
const GATED = `environments:
  development:
    gate: { min_pass_rate: 1 }
providers:
  offline: { type: echo }
`;

describe('committed state', () => {
  it('validate reports every tracked file under .prompts/ (state-tracked, error, file:1:1), with --base too, and reads no committed cache', async () => {
    const a = arena({ suite: PASSING });
    expect((await a.run(['validate'])).exitCode).toBe(0); // writes its cache and memo under .prompts/
    const base = a.git('rev-parse', 'HEAD').trim();
    a.git('add', '-f', '.prompts');
    a.git('commit', '-q', '-m', 'pr: commit the cache');
    const tracked = a.git('ls-files', '.prompts').trim().split('\n');
    expect(tracked.length).toBeGreaterThan(1);
    for (const args of [['validate'], ['validate', '--base', base]]) {
      const v = await untouched(a, () => a.run(args), { repo: true });
      expect(v.exitCode, args.join(' ')).toBe(1);
      for (const f of tracked) expect(v.stdout).toContain(`${f}\n  1:1  error    ${f} is tracked by git, but .prompts/ holds local state (eval reports, caches, locks), which promptrail never takes as evidence: untrack it with "git rm --cached -r .prompts" and keep .prompts/ in .gitignore  state-tracked`);
    }
    // a committed memo never answers: an error introduced now is found although the memo says "clean"
    a.write('prompts/a/1.1.0.yaml', a.read('prompts/a/1.1.0.yaml').replace(/^id: a$/m, 'id: b'));
    const v = await a.run(['validate']);
    expect(v.stdout).toMatch(/prompts\/a\/1\.1\.0\.yaml\n {2}\d+:\d+ +error/);
  });

  it('a committed passing eval report is not reused by the gate: the gate evaluates', async () => {
    const a = arena({ suite: PASSING, config: GATED });
    expect((await a.run(['eval', 'a@1.1.0'])).exitCode).toBe(0);
    expect(fs.existsSync(path.join(a.dir, '.prompts/evals/a/1.1.0.json'))).toBe(true);
    a.git('add', '-f', '.prompts/evals');
    a.git('commit', '-q', '-m', 'pr: commit a passing report');
    const p = await a.run(['promote', 'a@1.1.0', '--env', 'development']);
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/reusing the stored eval/);
    expect(p.stderr).toMatch(/gate: evaluating a@1\.1\.0/);
  });

  it('an untracked stored report is reused (the control), one behind a symbolic link is not, and nothing outside is written', async () => {
    const a = arena({ suite: PASSING, config: GATED });
    expect((await a.run(['eval', 'a@1.1.0'])).exitCode).toBe(0);
    const report = path.join(a.dir, '.prompts/evals/a/1.1.0.json');
    // the control: an untracked, regular report with its own digests is what the gate reuses
    const dry = await a.run(['promote', 'a@1.1.0', '--env', 'development', '--no-commit']);
    expect(dry.stderr).toMatch(/reusing the stored eval/);
    a.git('checkout', '--', '.');
    fs.rmSync(path.join(a.dir, 'environments'), { recursive: true, force: true });
    // the same report moved outside and linked in
    fs.renameSync(report, path.join(a.outside, 'report.json'));
    fs.symlinkSync(path.join(a.outside, 'report.json'), report);
    const p = await untouched(a, () => a.run(['promote', 'a@1.1.0', '--env', 'development']));
    expect(p.exitCode, p.stderr).toBe(0);
    expect(p.stderr).not.toMatch(/reusing/);
    expect(fs.lstatSync(report).isSymbolicLink()).toBe(false); // replaced, never written through
  });
});

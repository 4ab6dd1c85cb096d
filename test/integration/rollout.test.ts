/**
 * `prompts rollout …` on temp registries with real git: the command sequences (start → set →
 * advance → complete → rollback restores the old stable; start → abort), each one commit of the
 * environment file alone with SPEC §12's subject; every refusal exits 1 or 2 (3 for git) with the
 * file's bytes and HEAD unchanged; the gate and `requires` on start; check with a metrics file,
 * with and without --apply; status, list, history, diff and show knowing rollouts; --push.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { writeFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BASIC_CONFIG, GIT_ENV, type TempRegistry } from '../helpers/registry.js';
import { prompts, envBytes, readEnv, head, commitCount, gitRegistry, UNGATED_CONFIG } from './env-helpers.js';
import { sha256 } from '../../src/registry/files.js';
import { getValidator } from '../../src/registry/schemas.js';

let r: TempRegistry;
const extra: string[] = [];
afterEach(() => {
  r?.cleanup();
  for (const d of extra.splice(0)) rmSync(d, { recursive: true, force: true });
});

const fileSha = (reg: TempRegistry, id: string, v: string): string => sha256(Buffer.from(reg.git('show', `HEAD:prompts/${id}/${v}.yaml`)));

/** development pins a@1.0.0 (committed), 1.1.0 and 1.2.0 exist */
async function pinned(config = UNGATED_CONFIG): Promise<TempRegistry> {
  const reg = gitRegistry(config);
  const res = await prompts(reg.dir, ['promote', 'a@1.0.0', '--env', 'development']);
  expect(res, res.stderr).toMatchObject({ code: 0 });
  return reg;
}

/** Runs and asserts the command was refused with `code`, leaving the env file and HEAD as they were. */
async function refused(args: string[], code: number, message: RegExp, env = 'development'): Promise<void> {
  const before = envBytes(r, env);
  const h = head(r);
  const res = await prompts(r.dir, args);
  expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(code);
  expect(res.stderr).toMatch(message);
  expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(envBytes(r, env)).toBe(before);
  expect(head(r)).toBe(h);
}

function lastCommit(reg: TempRegistry): { subject: string; body: string; files: string } {
  return { subject: reg.git('log', '-1', '--format=%s').trim(), body: reg.git('log', '-1', '--format=%b'), files: reg.git('show', '--name-only', '--format=', 'HEAD').trim() };
}

describe('prompts rollout: the command sequence', () => {
  it('start -> set -> advance -> complete -> rollback restores the old stable; one commit each, the env file alone', async () => {
    r = await pinned();
    const n = commitCount(r);
    let res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--stages', '5,25,50,100', '--reason', 'canary']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/^started a rollout of a 1\.0\.0 -> 1\.1\.0 in development at 5% \(stages 5, 25, 50, 100\) \(commit [0-9a-f]{12}\)\n$/);
    expect(lastCommit(r)).toMatchObject({ subject: 'prompts(development): rollout a 1.0.0 -> 1.1.0 0% -> 5%', files: 'environments/development.yaml' });
    expect(lastCommit(r).body).toMatch(/Reason: canary\nRollout: start\n/);
    let pin = readEnv(r, 'development').prompts.a!;
    expect(pin).toMatchObject({ version: '1.0.0', sha256: fileSha(r, 'a', '1.0.0') });
    expect(pin.rollout).toMatchObject({ version: '1.1.0', sha256: fileSha(r, 'a', '1.1.0'), weight: 5, salt: 'a@1.1.0', stages: [5, 25, 50, 100], started_by: 'Test User <test@example.com>' });

    res = await prompts(r.dir, ['rollout', 'set', 'a', '--env', 'development', '--weight', '12.5']);
    expect(res.stdout).toMatch(/^set the rollout of a 1\.0\.0 -> 1\.1\.0 in development: 5% -> 12\.5% \(commit/);
    expect(lastCommit(r).subject).toBe('prompts(development): rollout a 1.0.0 -> 1.1.0 5% -> 12.5%');
    res = await prompts(r.dir, ['rollout', 'advance', 'a', '--env', 'development']);
    expect(res.stdout).toMatch(/advanced the rollout of a 1\.0\.0 -> 1\.1\.0 in development: 12\.5% -> 25%/);
    expect(lastCommit(r).subject).toBe('prompts(development): rollout a 1.0.0 -> 1.1.0 12.5% -> 25%');

    res = await prompts(r.dir, ['--json', 'rollout', 'complete', 'a', '--env', 'development']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, action: 'rollout-complete', id: 'a', env: 'development', from: '1.0.0', to: '1.1.0', fromWeight: 25, weight: 100, previous: '1.0.0', commit: head(r) });
    expect(lastCommit(r)).toMatchObject({ subject: 'prompts(development): rollout a 1.0.0 -> 1.1.0 25% -> 100%', files: 'environments/development.yaml' });
    pin = readEnv(r, 'development').prompts.a!;
    expect(pin).toMatchObject({ version: '1.1.0', sha256: fileSha(r, 'a', '1.1.0'), previous: '1.0.0' });
    expect(pin.rollout).toBeUndefined();
    expect(pin.history.map((h) => [h.action, h.version, h.from, h.weight])).toEqual([
      ['rollout-complete', '1.1.0', '1.0.0', 100],
      ['rollout-set', '1.1.0', '1.0.0', 25],
      ['rollout-set', '1.1.0', '1.0.0', 12.5],
      ['rollout-start', '1.1.0', '1.0.0', 5],
      ['promote', '1.0.0', null, undefined],
    ]);
    expect(commitCount(r)).toBe(n + 4);

    res = await prompts(r.dir, ['rollback', 'a', '--env', 'development', '--reason', 'regression']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/rolled back a 1\.1\.0 -> 1\.0\.0 in development/);
    expect(readEnv(r, 'development').prompts.a).toMatchObject({ version: '1.0.0', sha256: fileSha(r, 'a', '1.0.0'), previous: null });
    expect(getValidator('environment')(readEnv(r, 'development'))).toBe(true);
    expect(r.git('status', '--porcelain').trim()).toBe('');

    // the audit trail: every step with its weights, matched with its commit
    res = await prompts(r.dir, ['--json', 'history', 'a', '--env', 'development']);
    const rows = JSON.parse(res.stdout).entries as { action: string; fromWeight: number | null; weight: number | null; source: string }[];
    expect(rows.map((x) => [x.action, x.fromWeight, x.weight, x.source])).toEqual([
      ['rollback', null, null, 'both'],
      ['rollout-complete', 25, 100, 'both'],
      ['rollout-set', 12.5, 25, 'both'],
      ['rollout-set', 5, 12.5, 'both'],
      ['rollout-start', 0, 5, 'both'],
      ['promote', null, null, 'both'],
    ]);
    res = await prompts(r.dir, ['history', 'a', '--env', 'development']);
    expect(res.stdout).toMatch(/rollout-set {2}1\.0\.0 -> 1\.1\.0 {2}12\.5% -> 25%/);
  });

  it('start -> abort: every key back on the stable version, recorded with the reason; a new rollout may start', async () => {
    r = await pinned();
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '10']);
    await refused(['rollout', 'abort', 'a', '--env', 'development'], 2, /rollout abort needs --reason/);
    const res = await prompts(r.dir, ['rollout', 'abort', 'a', '--env', 'development', '--reason', 'error rate up']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/aborted the rollout of a 1\.0\.0 -> 1\.1\.0 in development: 10% -> 0%, every key on 1\.0\.0/);
    expect(lastCommit(r)).toMatchObject({ subject: 'prompts(development): rollout a 1.0.0 -> 1.1.0 10% -> 0%', files: 'environments/development.yaml' });
    expect(lastCommit(r).body).toMatch(/Reason: error rate up\nRollout: abort/);
    const pin = readEnv(r, 'development').prompts.a!;
    expect(pin.rollout).toBeUndefined();
    expect(pin).toMatchObject({ version: '1.0.0', previous: null });
    expect(pin.history[0]).toMatchObject({ action: 'rollout-abort', version: '1.1.0', from: '1.0.0', weight: 0, reason: 'error rate up' });
    // nothing to roll back: the aborted candidate was never pinned
    await refused(['rollback', 'a', '--env', 'development'], 1, /no recorded previous version/);
    expect((await prompts(r.dir, ['rollout', 'start', 'a@1.2.0', '--env', 'development', '--weight', '1'])).code).toBe(0);
  });

  it('--dry-run prints the plan (text and --json) and writes nothing; --no-commit writes without a commit', async () => {
    r = await pinned();
    const h = head(r);
    const before = envBytes(r, 'development');
    let res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5', '--dry-run']);
    expect(res.stdout).toMatch(/would start a rollout of a 1\.0\.0 -> 1\.1\.0 in development at 5%\n {2}weight: 5% of keys on 1\.1\.0, 95% on 1\.0\.0\n/);
    expect(res.stdout).toMatch(/dry run: nothing written/);
    res = await prompts(r.dir, ['--json', 'rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5', '--salt', 'exp-1', '--dry-run']);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: true, dryRun: true, action: 'rollout-start', from: '1.0.0', to: '1.1.0', weight: 5, salt: 'exp-1', stages: null, commit: true });
    expect(envBytes(r, 'development')).toBe(before);
    expect(head(r)).toBe(h);
    res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5', '--no-commit']);
    expect(res.code).toBe(0);
    expect(head(r)).toBe(h);
    expect(readEnv(r, 'development').prompts.a!.rollout!.weight).toBe(5);
    // the file now has promptrail's uncommitted change: a committing step would refuse it (exit 3), a --no-commit one goes on
    res = await prompts(r.dir, ['rollout', 'set', 'a', '--env', 'development', '--weight', '20', '--dry-run']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/uncommitted/);
    res = await prompts(r.dir, ['rollout', 'set', 'a', '--env', 'development', '--weight', '20', '--dry-run', '--no-commit']);
    expect(res.stdout).toMatch(/would set the rollout of a 1\.0\.0 -> 1\.1\.0 in development: 5% -> 20%/);
    expect(readEnv(r, 'development').prompts.a!.rollout!.weight).toBe(5);
  });
});

describe('prompts rollout: refusals write nothing', () => {
  it('start: already running, candidate = stable, not pinned yet, weights and stages (exit 1 / 2)', async () => {
    r = await pinned();
    await refused(['rollout', 'start', 'a@1.0.0', '--env', 'development', '--weight', '5'], 1, /a@1\.0\.0 is already the stable version in "development"/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'], 1, /never been pinned in "development"/, 'staging');
    await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'], 1, /a is not pinned in "staging" yet, so there is no stable version.*promote the first version instead/, 'staging');
    await prompts(r.dir, ['rollback', 'a', '--env', 'development']);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '101'], 2, /--weight "101" is not a percentage/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '-1'], 2, /--weight "-1" is not a percentage/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '1.005'], 2, /at most 2 decimals/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development'], 2, /needs a first weight/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '10', '--stages', '5,25'], 2, /--weight 10 is not one of the stages \(5, 25\)/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--stages', '25,5'], 2, /stages must ascend/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--stages', '5,x'], 2, /"x" is not a percentage/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5', '--salt', ''], 2, /--salt must be/);
    await refused(['rollout', 'start', 'a@9.9.9', '--env', 'development', '--weight', '5'], 2, /has no version 9\.9\.9/);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'nope', '--weight', '5'], 2, /unknown environment "nope"/);
    await refused(['rollout', 'start', 'A@1.1.0', '--env', 'development', '--weight', '5'], 2, /invalid prompt id/);
    expect((await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5'])).code).toBe(0);
    await refused(['rollout', 'start', 'a@1.2.0', '--env', 'development', '--weight', '5'], 1, /a rollout of a@1\.1\.0 is running in "development" \(at 5%\); another rollout waits/);
  });

  it('set, advance, abort, complete without a running rollout (exit 1); bad weights (exit 2); past the last stage (exit 1)', async () => {
    r = await pinned();
    await refused(['rollout', 'set', 'a', '--env', 'development', '--weight', '10'], 1, /cannot set the rollout's weight: no rollout of a is running in "development" \(it pins 1\.0\.0\)/);
    await refused(['rollout', 'advance', 'a', '--env', 'development'], 1, /no rollout of a is running/);
    await refused(['rollout', 'abort', 'a', '--env', 'development', '--reason', 'x'], 1, /cannot abort: no rollout of a is running/);
    await refused(['rollout', 'complete', 'a', '--env', 'development'], 1, /cannot complete: no rollout/);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '50', '--stages', '5,50']);
    await refused(['rollout', 'set', 'a', '--env', 'development', '--weight', '100.01'], 2, /not a percentage from 0 to 100/);
    await refused(['rollout', 'set', 'a', '--env', 'development'], 2, /required option '--weight/);
    await refused(['rollout', 'advance', 'a', '--env', 'development'], 1, /is at its last stage \(50%; stages 5, 50\).*complete it/);
    // the same weight: nothing to do, exit 0
    const same = await prompts(r.dir, ['rollout', 'set', 'a', '--env', 'development', '--weight', '50']);
    expect(same).toMatchObject({ code: 0 });
    expect(same.stdout).toMatch(/already at 50%; nothing to do/);
  });

  it('promote and rollback of a prompt with a running rollout are refused (exit 1); other prompts are not', async () => {
    r = gitRegistry(UNGATED_CONFIG, { a: ['1.0.0', '1.1.0', '1.2.0'], b: ['1.0.0'] });
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    await prompts(r.dir, ['rollout', 'start', 'a@1.2.0', '--env', 'development', '--weight', '5']);
    await refused(['promote', 'a@1.2.0', '--env', 'development'], 1, /a rollout of a@1\.2\.0 is running in "development" \(at 5%\); a promotion waits/);
    await refused(['rollback', 'a', '--env', 'development'], 1, /a rollback waits until it is completed or aborted/);
    const b = await prompts(r.dir, ['promote', 'b@1.0.0', '--env', 'development']);
    expect(b.code).toBe(0);
    expect(readEnv(r, 'development').prompts.a!.rollout!.version).toBe('1.2.0');
  });

  it('a candidate file that is not committed is refused (exit 3); one changed since the start cannot complete (exit 1)', async () => {
    r = await pinned();
    r.write('prompts/a/1.3.0.yaml', r.git('show', 'HEAD:prompts/a/1.2.0.yaml').replace('version: 1.2.0', 'version: 1.3.0'));
    await refused(['rollout', 'start', 'a@1.3.0', '--env', 'development', '--weight', '5'], 3, /refusing to pin prompts\/a\/1\.3\.0\.yaml: it is untracked/);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5']);
    appendFileSync(path.join(r.dir, 'prompts/a/1.1.0.yaml'), '# edited\n');
    r.commitAll('edit a pinned candidate');
    await refused(['rollout', 'complete', 'a', '--env', 'development'], 1, /prompts\/a\/1\.1\.0\.yaml changed since the rollout started/);
    // status flags it as broken
    const st = await prompts(r.dir, ['rollout', 'status']);
    expect(st.code).toBe(1);
    expect(st.stdout).toMatch(/CANDIDATE SHA256 MISMATCH/);
    expect((await prompts(r.dir, ['status'])).stdout).toMatch(/1\.0\.0 \+1\.1\.0@5% \(.*CANDIDATE SHA256 MISMATCH/);
  });
});

describe('prompts rollout start: the same requires and gate as promote', () => {
  const SUITE = (want: string): string => `cases:\n  - name: echoes the ticket\n    vars: { ticket: "hello" }\n    assert:\n      - { type: contains, value: "${want}" }\n`;

  it('requires: a candidate never pinned in the required environment is refused (exit 1)', async () => {
    r = gitRegistry(UNGATED_CONFIG);
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'staging']);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'], 1, /a@1\.1\.0 has never been pinned in "development", and "staging" requires it/, 'staging');
    // a candidate only rolled out (not completed) upstream does not count either
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '50']);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'], 1, /never been pinned in "development"/, 'staging');
    await prompts(r.dir, ['rollout', 'complete', 'a', '--env', 'development']);
    expect((await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'])).code).toBe(0);
  });

  it('the gate runs on start: a failing suite is refused (exit 1), a passing one is recorded in the rollout and the commit', async () => {
    r = gitRegistry(BASIC_CONFIG);
    r.write('prompts/a/evals.yaml', SUITE('nope, not in the reply'));
    r.commitAll('suite');
    await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'development']);
    await prompts(r.dir, ['promote', 'a@1.1.0', '--env', 'development']);
    let res = await prompts(r.dir, ['promote', 'a@1.0.0', '--env', 'staging', '--skip-eval', '--reason', 'bootstrap']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5'], 1, /did not pass the gate of "staging"/, 'staging');
    r.write('prompts/a/evals.yaml', SUITE('Ticket: hello'));
    r.commitAll('a passing suite');
    res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    const rollout = readEnv(r, 'staging').prompts.a!.rollout!;
    expect(rollout.eval).toMatchObject({ pass_rate: 1, passed: 1, cases: 1 });
    expect(lastCommit(r).body).toMatch(/Eval: pass rate 1 \(1\/1 cases\)/);
    // --skip-eval needs a reason; with one it is recorded
    await prompts(r.dir, ['rollout', 'abort', 'a', '--env', 'staging', '--reason', 'again']);
    await refused(['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5', '--skip-eval'], 2, /--skip-eval needs --reason/, 'staging');
    res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'staging', '--weight', '5', '--skip-eval', '--reason', 'hotfix']);
    expect(res.code).toBe(0);
    expect(readEnv(r, 'staging').prompts.a!.history[0]).toMatchObject({ action: 'rollout-start', skip_eval: true, reason: 'hotfix' });
  });
});

describe('prompts rollout check with a metrics file', () => {
  const CONFIG = `${UNGATED_CONFIG.replace('  development: {}', `  development:
    rollout:
      stages: [5, 25, 50, 100]
      min_requests: 100
      advance_when: { error_rate: "<= 0.01" }
      abort_when: { error_rate: "> 0.05", error_rate_delta: "> 0.02" }`)}`;

  function metrics(reg: TempRegistry, stable: object, candidate: object): string {
    const f = path.join(reg.dir, 'metrics.json');
    writeFileSync(f, JSON.stringify({ arms: { '1.0.0': stable, '1.1.0': candidate } }));
    return f;
  }

  it('advance: prints the numbers and the verdict; --apply makes the one commit of `rollout advance`', async () => {
    r = await pinned(CONFIG);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development']);
    const m = metrics(r, { requests: 1000, errors: 4, p95_latency_ms: 800 }, { requests: 200, errors: 1, p95_latency_ms: 850 });
    const h = head(r);
    let res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', m]);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/rollout check a in development: 1\.0\.0 \(stable\) vs 1\.1\.0 \(candidate, 5%\), last 1h, from file /);
    expect(res.stdout).toMatch(/error_rate +0\.004 +0\.005 +\+0\.001 +\+25\.0%/);
    expect(res.stdout).toMatch(/advance_when error_rate <= 0\.01: 0\.005 -> holds/);
    expect(res.stdout).toMatch(/verdict: advance \(5% -> 25%\)/);
    expect(head(r)).toBe(h);
    res = await prompts(r.dir, ['--json', 'rollout', 'check', 'a', '--env', 'development', '--metrics', m, '--apply']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ ok: true, verdict: 'advance', to: 25, weight: 5, arms: { stable: { requests: 1000, error_rate: 0.004 }, candidate: { requests: 200, error_rate: 0.005 } }, applied: { action: 'rollout-advance', fromWeight: 5, weight: 25, commit: head(r) } });
    expect(lastCommit(r)).toMatchObject({ subject: 'prompts(development): rollout a 1.0.0 -> 1.1.0 5% -> 25%', files: 'environments/development.yaml' });
    expect(lastCommit(r).body).toMatch(/Reason: rollout check: advance 5% -> 25%\n/);
    expect(lastCommit(r).body).toMatch(/Check-Candidate: 1\.1\.0: requests 200, errors 1, error_rate 0\.005/);
    expect(readEnv(r, 'development').prompts.a!.rollout!.weight).toBe(25);
  });

  it('abort: exit 1, and --apply aborts the rollout with the numbers as the reason', async () => {
    r = await pinned(CONFIG);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development']);
    const m = metrics(r, { requests: 1000, errors: 4 }, { requests: 200, errors: 20 });
    let res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', m]);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/verdict: abort \(5% -> 0%\)\n {2}error_rate 0\.1 > 0\.05 \(abort_when\)\n {2}error_rate_delta 0\.096 > 0\.02/);
    expect(readEnv(r, 'development').prompts.a!.rollout).toBeDefined();
    res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', m, '--apply']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/aborted the rollout of a 1\.0\.0 -> 1\.1\.0 in development: 5% -> 0%/);
    const pin = readEnv(r, 'development').prompts.a!;
    expect(pin.rollout).toBeUndefined();
    expect(pin.history[0]).toMatchObject({ action: 'rollout-abort', reason: 'rollout check: error_rate 0.1 > 0.05 (abort_when)' });
  });

  it('hold: too little traffic or criteria not met write nothing, exit 0; at the last stage the verdict is complete', async () => {
    r = await pinned(CONFIG);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '50']);
    const h = head(r);
    let res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', metrics(r, { requests: 1000, errors: 0 }, { requests: 50, errors: 0 }), '--apply']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/verdict: hold\n {2}not enough traffic to judge in the last 1h: candidate 1\.1\.0 has 50 requests \(min_requests 100 per arm\)/);
    res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', metrics(r, { requests: 1000, errors: 10 }, { requests: 500, errors: 10 }), '--apply']);
    expect(res.stdout).toMatch(/verdict: hold\n {2}error_rate 0\.02 is not <= 0\.01 \(advance_when\)/);
    expect(head(r)).toBe(h);
    res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', metrics(r, { requests: 1000, errors: 1 }, { requests: 500, errors: 1 }), '--apply']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/verdict: complete \(50% -> 100%\)/);
    expect(readEnv(r, 'development').prompts.a).toMatchObject({ version: '1.1.0', previous: '1.0.0' });
  });

  it('no rollout running: exit 0, nothing to check; bad inputs are exit 2 naming the problem', async () => {
    r = await pinned(CONFIG);
    const res = await prompts(r.dir, ['rollout', 'check', 'a', '--env', 'development', '--metrics', 'x.json']);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/no rollout of a is running in development; nothing to check/);
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development']);
    const bad = path.join(r.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ arms: { '1.1.0': { requests: -1 } } }));
    await refused(['rollout', 'check', 'a', '--env', 'development', '--metrics', bad], 2, /arms\["1\.1\.0"\]\.requests must be a non-negative number/);
    writeFileSync(bad, '{ nope');
    await refused(['rollout', 'check', 'a', '--env', 'development', '--metrics', bad], 2, /is not valid JSON/);
    await refused(['rollout', 'check', 'a', '--env', 'development', '--metrics', 'missing.json'], 2, /cannot read --metrics missing\.json/);
    await refused(['rollout', 'check', 'a', '--env', 'development'], 2, /rollout check needs metrics/);
    await refused(['rollout', 'check', 'a', '--env', 'development', '--metrics', bad, '--prometheus', 'http://127.0.0.1:1'], 2, /cannot be used together/);
    await refused(['rollout', 'check', 'a', '--env', 'development', '--metrics', bad, '--window', '1 hour'], 2, /--window "1 hour" is not a duration/);
    await refused(['rollout', 'check', 'a', '--env', 'development', '--prometheus', 'http://127.0.0.1:1'], 2, /cannot query Prometheus at http:\/\/127\.0\.0\.1:1/);
  });

  it('without <id>, checks every rollout running in the environment', async () => {
    r = gitRegistry(CONFIG, { a: ['1.0.0', '1.1.0'], b: ['1.0.0', '1.1.0'], c: ['1.0.0'] });
    for (const id of ['a', 'b', 'c']) await prompts(r.dir, ['promote', `${id}@1.0.0`, '--env', 'development']);
    for (const id of ['a', 'b']) await prompts(r.dir, ['rollout', 'start', `${id}@1.1.0`, '--env', 'development']);
    const m = metrics(r, { requests: 1000, errors: 1 }, { requests: 500, errors: 1 });
    const res = await prompts(r.dir, ['--json', 'rollout', 'check', '--env', 'development', '--metrics', m, '--apply']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    const doc = JSON.parse(res.stdout);
    expect(doc.checks.map((c: { id: string; verdict: string }) => [c.id, c.verdict])).toEqual([['a', 'advance'], ['b', 'advance']]);
    expect(r.git('log', '-2', '--format=%s').trim().split('\n').sort()).toEqual(['prompts(development): rollout a 1.0.0 -> 1.1.0 5% -> 25%', 'prompts(development): rollout b 1.0.0 -> 1.1.0 5% -> 25%']);
  });
});

describe('other commands know rollouts', () => {
  it('rollout status (text, --json, --key), list, status, diff and show of <id>@<env>:candidate', async () => {
    r = await pinned();
    await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--stages', '5,25,100']);
    let res = await prompts(r.dir, ['rollout', 'status', '--key', 'user-1']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^a {2}development {2}1\.0\.0 -> 1\.1\.0 {2}5% on the candidate\n {4}stages: \[5%\] -> 25% -> 100%; next 25%\n/);
    expect(res.stdout).toMatch(/salt "a@1\.1\.0": buckets 9500–9999 of 0–9999 get 1\.1\.0/);
    res = await prompts(r.dir, ['--json', 'rollout', 'status', 'a', '--env', 'development', '--key', 'user-1']);
    const doc = JSON.parse(res.stdout);
    const { bucketOf } = await import('../../src/core/bucket.js');
    const b = bucketOf('a@1.1.0', 'user-1');
    expect(doc.rollouts).toEqual([
      expect.objectContaining({ id: 'a', env: 'development', stable: '1.0.0', candidate: '1.1.0', weight: 5, next: 25, buckets: { from: 9500, to: 9999 }, flags: [], key: { key: 'user-1', bucket: b, arm: b >= 9500 ? 'candidate' : 'stable', version: b >= 9500 ? '1.1.0' : '1.0.0' } }),
    ]);
    expect((await prompts(r.dir, ['rollout', 'status', '--env', 'staging'])).stdout).toBe('no rollout running in staging\n');
    res = await prompts(r.dir, ['--json', 'list']);
    expect(JSON.parse(res.stdout).prompts[0]).toMatchObject({ id: 'a', environments: { development: '1.0.0' }, rollouts: { development: { version: '1.1.0', weight: 5 } } });
    expect((await prompts(r.dir, ['list'])).stdout).toMatch(/a +1\.2\.0 +1\.0\.0 \+1\.1\.0@5%/);
    res = await prompts(r.dir, ['--json', 'status']);
    expect(JSON.parse(res.stdout).prompts[0].environments.development).toMatchObject({ version: '1.0.0', rollout: { version: '1.1.0', weight: 5 }, flags: ['behind'] });
    res = await prompts(r.dir, ['diff', 'a@development', 'a@development:candidate']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/a@development \(1\.0\.0\) -> a@development:candidate \(1\.1\.0\)/);
    res = await prompts(r.dir, ['show', 'a@development:candidate']);
    expect(res.stdout).toMatch(/^id: a\nversion: 1\.1\.0\n/);
    expect(res.stderr).toMatch(/\(a@development:candidate is 1\.1\.0\)/);
    await refused(['show', 'a@staging:candidate'], 2, /not pinned in environment "staging"/, 'staging');
    await refused(['show', 'a@development:canary'], 2, /comes "candidate" .* or "stable", not "canary"/);
    await prompts(r.dir, ['rollout', 'abort', 'a', '--env', 'development', '--reason', 'x']);
    await refused(['diff', 'a@development', 'a@development:candidate'], 2, /no rollout of a is running in environment "development"/);
  });

  it('--push publishes the one-file commit', async () => {
    r = await pinned();
    const remote = mkdtempSync(path.join(tmpdir(), 'promptrail-remote-'));
    extra.push(remote);
    execFileSync('git', ['init', '-q', '--bare', remote], { env: { ...process.env, ...GIT_ENV } });
    r.git('remote', 'add', 'origin', remote);
    r.git('push', '-q', '-u', 'origin', 'main');
    const res = await prompts(r.dir, ['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5', '--push']);
    expect(res, res.stderr).toMatchObject({ code: 0 });
    expect(res.stdout).toMatch(/, pushed\)/);
    expect(execFileSync('git', ['--git-dir', remote, 'log', '-1', '--format=%s', 'main'], { encoding: 'utf8' }).trim()).toBe('prompts(development): rollout a 1.0.0 -> 1.1.0 0% -> 5%');
  });
});

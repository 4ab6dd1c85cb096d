/**
 * SPEC §15 with real git and several identities: approvals (satisfied, missing, by the author,
 * by the promoter, of changed bytes, typed in by hand), rollout start behind approvals, rollback
 * and abort needing none; SSH-signed approval and promotion commits (keys made by ssh-keygen
 * here); `history --at` over promotions, rollbacks and rollouts; `verify` on a clean registry
 * and on each kind of break.
 */
import { describe, it, expect, afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, realpathSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { prompts, envBytes, readEnv, head, gitRegistry, promptYaml } from './env-helpers.js';
import type { TempRegistry } from '../helpers/registry.js';
import { describeWithTool } from '../helpers/tools.js';

const CONFIG = (approvals: string) => `environments:
  development: {}
  staging: { requires: development }
  production:
    requires: staging
    approvals: ${approvals}
providers:
  offline: { type: echo }
`;

const made: TempRegistry[] = [];
const dirs: string[] = [];
const saved = { ...process.env };
afterEach(() => {
  for (const r of made.splice(0)) r.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const k of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

/** The git identity of the commands that follow (commits and `by`). */
function as(name: string): Record<string, string> {
  const email = `${name.toLowerCase()}@example.com`;
  Object.assign(process.env, { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email });
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_COMMITTER_NAME: name, GIT_COMMITTER_EMAIL: email };
}

/** `prompts` as `who`. */
const run = (r: TempRegistry, who: string, args: string[]) => prompts(r.dir, args, as(who));

/** A registry (versions committed by Test User) with 1.0.0–1.2.0 of `a` in development and staging. */
async function registry(approvals = '{ required: 1 }'): Promise<TempRegistry> {
  const r = gitRegistry(CONFIG(approvals));
  made.push(r);
  for (const env of ['development', 'staging']) expect((await run(r, 'Carl', ['promote', 'a@1.0.0', '--env', env])).code).toBe(0);
  return r;
}

const AUTHOR = 'Test User <test@example.com>';

describe('approvals', () => {
  it('promote without approvals is refused (exit 1) naming what is missing and who may approve; nothing written', async () => {
    const r = await registry();
    const before = head(r);
    const res = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('refused: "production" requires 1 approval of a@1.0.0');
    expect(res.stderr).toContain('it has none: 1 more approval needed');
    expect(res.stderr).toContain(`anyone but ${AUTHOR} (author), Carl <carl@example.com> (promoting) may approve: "prompts approve a@1.0.0 --env production --reason <text>"`);
    expect(head(r)).toBe(before);
    expect(envBytes(r, 'production')).toBeNull();
  });

  it('an approval by someone else is one commit touching only the env file; then a third person promotes', async () => {
    const r = await registry();
    const ok = await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production', '--reason', 'reviewed the diff']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^approved a@1\.0\.0 for production \(commit [0-9a-f]{12}\)\n$/);
    expect(r.git('log', '-1', '--format=%s|%an').trim()).toBe('prompts(production): approve a 1.0.0|Bo');
    expect(r.git('show', '--name-only', '--format=', 'HEAD').trim()).toBe('environments/production.yaml');
    const approvals = readEnv(r, 'production').approvals!['a@1.0.0']!;
    expect(approvals).toEqual([{ by: 'Bo <bo@example.com>', at: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), reason: 'reviewed the diff' }]);
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production', '--json']);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ ok: true, action: 'promote', to: '1.0.0', approvals: [{ by: 'Bo <bo@example.com>' }] });
    // the approvals survive the promotion's write
    expect(readEnv(r, 'production').approvals!['a@1.0.0']).toEqual(approvals);
    expect(readEnv(r, 'production').prompts.a!.version).toBe('1.0.0');
  });

  it('the version\'s author cannot approve it; nobody approves twice; the approver cannot be the promoter', async () => {
    const r = await registry();
    // the same person (same e-mail) under another name
    const self = await run(r, 'Test', ['approve', 'a@1.0.0', '--env', 'production']);
    expect(self.code).toBe(1);
    expect(self.stderr).toMatch(/refused: Test <test@example\.com> authored a@1\.0\.0 \(commit [0-9a-f]{12}\); a version cannot be approved by its author/);
    expect(envBytes(r, 'production')).toBeNull();
    expect((await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production'])).code).toBe(0);
    const before = head(r);
    const twice = await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/refused: Bo <bo@example\.com> already approved a@1\.0\.0 \(sha256 [0-9a-f]{12}…\) at .*; an approval counts once per person/);
    expect(head(r)).toBe(before);
    const own = await run(r, 'Bo', ['promote', 'a', '--env', 'production']);
    expect(own.code).toBe(1);
    expect(own.stderr).toContain('not counted: the approval by Bo <bo@example.com>: the approver is the one promoting');
    expect(head(r)).toBe(before);
  });

  it('an approval counts only for the bytes approved: a changed version file cannot be approved, and the old approval does not count', async () => {
    const r = gitRegistry(CONFIG('{ required: 1 }'));
    made.push(r);
    r.write('prompts/a/1.3.0.yaml', promptYaml('a', '1.3.0'));
    r.commitAll('add 1.3.0');
    expect((await run(r, 'Bo', ['approve', 'a@1.3.0', '--env', 'production'])).code).toBe(0);
    // the bytes change after the approval (a later commit by someone else)
    as('Dan');
    r.write('prompts/a/1.3.0.yaml', promptYaml('a', '1.3.0', { body: '\n      Be brief.' }));
    execFileSync('git', ['commit', '-qam', 'tweak 1.3.0'], { cwd: r.dir, env: process.env });
    const again = await run(r, 'Eve', ['approve', 'a@1.3.0', '--env', 'production']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/refused: prompts\/a\/1\.3\.0\.yaml changed since Bo <bo@example\.com> approved it at .* \(sha256 [0-9a-f]{12}… now, approved [0-9a-f]{12}…\)/);
    for (const env of ['development', 'staging']) expect((await run(r, 'Carl', ['promote', 'a@1.3.0', '--env', env])).code).toBe(0);
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/not counted: the approval by Bo <bo@example\.com>: it approved other bytes/);
    // Dan changed the file: he is one of its authors too
    expect((await run(r, 'Dan', ['approve', 'a@1.3.0', '--env', 'production'])).stderr).toMatch(/Dan <dan@example\.com> authored a@1\.3\.0/);
  });

  it('an approval typed into the env file by hand counts for nothing', async () => {
    const r = await registry();
    const sha = readEnv(r, 'staging').prompts.a!.sha256;
    r.write('environments/production.yaml', `# hand written\nenvironment: production\nprompts: {}\napprovals:\n  "a@1.0.0":\n    - { by: "Bo <bo@example.com>", at: "2026-12-01T10:00:00Z", sha256: ${sha} }\n`);
    as('Bo');
    execFileSync('git', ['add', '-A'], { cwd: r.dir, env: process.env });
    execFileSync('git', ['commit', '-qm', 'approve it myself'], { cwd: r.dir, env: process.env });
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code).toBe(1);
    expect(p.stderr).toContain('not counted: the approval by Bo <bo@example.com>: no "prompts approve" commit recorded it');
  });

  it('rollout start needs the approvals; rollout abort and rollback need none and are recorded', async () => {
    const r = await registry();
    expect((await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production'])).code).toBe(0);
    expect((await run(r, 'Carl', ['promote', 'a', '--env', 'production'])).code).toBe(0);
    for (const env of ['development', 'staging']) expect((await run(r, 'Carl', ['promote', 'a@1.1.0', '--env', env])).code).toBe(0);
    const refused = await run(r, 'Carl', ['rollout', 'start', 'a@1.1.0', '--env', 'production', '--weight', '10']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('requires 1 approval of a@1.1.0');
    expect((await run(r, 'Bo', ['approve', 'a@1.1.0', '--env', 'production'])).code).toBe(0);
    expect((await run(r, 'Carl', ['rollout', 'start', 'a@1.1.0', '--env', 'production', '--weight', '10'])).code).toBe(0);
    const abort = await run(r, 'Dan', ['rollout', 'abort', 'a', '--env', 'production', '--reason', 'errors']);
    expect(abort.code, abort.stderr).toBe(0);
    expect((await run(r, 'Bo', ['approve', 'a@1.2.0', '--env', 'production'])).code).toBe(0);
    for (const env of ['development', 'staging']) expect((await run(r, 'Carl', ['promote', 'a@1.2.0', '--env', env])).code).toBe(0);
    expect((await run(r, 'Carl', ['promote', 'a', '--env', 'production'])).code).toBe(0);
    const rb = await run(r, 'Dan', ['rollback', 'a', '--env', 'production', '--reason', 'latency']);
    expect(rb.code, rb.stderr).toBe(0);
    const pin = readEnv(r, 'production').prompts.a!;
    expect(pin.version).toBe('1.0.0');
    expect(pin.history.map((h) => `${h.action}:${h.by}`)).toEqual(['rollback:Dan <dan@example.com>', 'promote:Carl <carl@example.com>', 'rollout-abort:Dan <dan@example.com>', 'rollout-start:Carl <carl@example.com>', 'promote:Carl <carl@example.com>']);
    const v = await run(r, 'Carl', ['verify', '--env', 'production', '--json']);
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).pins[0].checks.find((c: { name: string }) => c.name === 'approvals')).toMatchObject({ status: 'skip', detail: 'pinned by a rollback (the emergency path needs none)' });
  });
});

/* ------------------------------------------------------------------------------ signing -- */

// ssh-keygen has no option that just exits 0: the probe makes a key in a folder removed right after
const probeDir = mkdtempSync(path.join(tmpdir(), 'promptrail-probe-'));
describeWithTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'probe', '-f', path.join(probeDir, 'k')], 'signed approvals and promotions (SSH keys made by ssh-keygen)', () => {
  let keys: string;
  beforeEach(() => {
    keys = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-keys-')));
    dirs.push(keys);
    const lines: string[] = [];
    for (const who of ['bo', 'carl', 'mallory']) {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', path.join(keys, who)]);
      // mallory's key is not an allowed signer
      if (who !== 'mallory') lines.push(`${who}@example.com ${readFileSync(path.join(keys, `${who}.pub`), 'utf8').trim()}`);
    }
    writeFileSync(path.join(keys, 'allowed_signers'), `${lines.join('\n')}\n`);
  });

  /** `who` signs with `key`'s key (SSH), checked against the allowed signers. */
  function signer(r: TempRegistry, key: string): void {
    r.git('config', 'gpg.format', 'ssh');
    r.git('config', 'gpg.ssh.allowedSignersFile', path.join(keys, 'allowed_signers'));
    r.git('config', 'user.signingkey', path.join(keys, key));
  }

  it('with signed: true, an approval git cannot sign is refused with nothing written; signed approval and promotion commits verify', async () => {
    const r = await registry('{ required: 1, signed: true }');
    // Bo approves without a signing key configured: git cannot sign, nothing is written
    const unsigned = await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production']);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/requires signed commits and git could not sign this one, so environments\/production\.yaml was restored/);
    expect(envBytes(r, 'production')).toBeNull();
    signer(r, 'bo');
    const ok = await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(() => r.git('verify-commit', 'HEAD')).not.toThrow();
    // Carl promotes, signing with his own key
    signer(r, 'carl');
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code, p.stderr).toBe(0);
    expect(r.git('log', '-1', '--format=%G?|%GS').trim()).toBe('G|carl@example.com');
    const v = await run(r, 'Carl', ['verify', '--env', 'production']);
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/✓ signatures promotion signed by carl@example\.com, approvals verified/);
  });

  it('a commit signed by a key that is not an allowed signer is undone and refused; an approval signed so does not count', async () => {
    const r = await registry('{ required: 1, signed: true }');
    signer(r, 'mallory');
    const before = head(r);
    const res = await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the commit of this approve does not verify \(git verify-commit: .*\), so it was undone and environments\/production\.yaml restored/);
    expect(head(r)).toBe(before);
    expect(envBytes(r, 'production')).toBeNull();
    // an approval committed (signed by an unknown key) outside promptrail, with promptrail's subject and trailers
    signer(r, 'bo');
    expect((await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production'])).code).toBe(0);
    signer(r, 'mallory');
    as('Bo');
    execFileSync('git', ['commit', '-q', '--amend', '--no-edit', '-S'], { cwd: r.dir, env: process.env });
    signer(r, 'carl');
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/not counted: the approval by Bo <bo@example\.com>: its commit [0-9a-f]{12} does not verify/);
  });

  it('--no-commit is refused where commits must be signed (exit 2)', async () => {
    const r = await registry('{ required: 0, signed: true }');
    const res = await run(r, 'Carl', ['promote', 'a', '--env', 'production', '--no-commit']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('"production" requires signed commits (approvals.signed in prompts.config.yaml); --no-commit would make none');
  });
});

rmSync(probeDir, { recursive: true, force: true });

/* ------------------------------------------------------------------------- history --at -- */

describe('history --env --at', () => {
  it('shows every pin as of a revision or a date over promotions, rollbacks and rollouts', async () => {
    const r = gitRegistry(CONFIG('{ required: 0 }'), { a: ['1.0.0', '1.1.0', '1.2.0'], b: ['1.0.0'] });
    made.push(r);
    const steps: [string, string[]][] = [
      ['p1', ['promote', 'a@1.0.0', '--env', 'development', '--reason', 'first']],
      ['p2', ['promote', 'b@1.0.0', '--env', 'development']],
      ['p3', ['promote', 'a@1.1.0', '--env', 'development']],
      ['rb', ['rollback', 'a', '--env', 'development', '--reason', 'broke']],
      ['ro', ['rollout', 'start', 'a@1.2.0', '--env', 'development', '--weight', '25']],
    ];
    const at = new Map<string, string>();
    for (const [name, args] of steps) {
      const res = await run(r, 'Carl', args);
      expect(res.code, res.stderr).toBe(0);
      at.set(name, head(r));
    }
    const pinsAt = async (rev: string) => {
      const res = await run(r, 'Carl', ['history', '--env', 'development', '--at', rev, '--json']);
      expect(res.code, res.stderr).toBe(0);
      return JSON.parse(res.stdout) as { commit: { hash: string }; pins: { id: string; version: string; previous: string | null; last: { action: string; reason: string | null }; commit: { hash: string } | null; rollout: { version: string; weight: number } | null }[] };
    };
    const d1 = await pinsAt(at.get('p1')!);
    expect(d1.pins.map((p) => `${p.id}@${p.version}`)).toEqual(['a@1.0.0']);
    expect(d1.pins[0]).toMatchObject({ last: { action: 'promote', reason: 'first' }, commit: { hash: at.get('p1') } });
    const d3 = await pinsAt(at.get('p3')!);
    expect(d3.pins.map((p) => `${p.id}@${p.version}`)).toEqual(['a@1.1.0', 'b@1.0.0']);
    expect(d3.pins[0]!.previous).toBe('1.0.0');
    const drb = await pinsAt(at.get('rb')!);
    expect(drb.pins[0]).toMatchObject({ version: '1.0.0', last: { action: 'rollback', reason: 'broke' }, commit: { hash: at.get('rb') } });
    const dro = await pinsAt('HEAD');
    expect(dro.pins[0]).toMatchObject({ version: '1.0.0', rollout: { version: '1.2.0', weight: 25 }, last: { action: 'rollout-start' } });
    // a revision name, and dates: before everything there is nothing; today is the newest state
    expect((await pinsAt(`${at.get('ro')!}~2`)).pins[0]!.version).toBe('1.1.0');
    const old = await run(r, 'Carl', ['history', '--env', 'development', '--at', '2001-01-01']);
    expect(old.stdout).toBe('development: nothing was committed at or before 2001-01-01T23:59:59Z\n');
    const today = new Date().toISOString().slice(0, 10);
    const text = await run(r, 'Carl', ['history', '--env', 'development', '--at', today]);
    expect(text.stdout).toContain('rollout: 1.2.0 at 25%');
    expect(text.stdout).toContain('approvals: none');
    // errors: no --env, an unknown revision
    expect((await run(r, 'Carl', ['history', '--at', 'HEAD'])).code).toBe(2);
    const bad = await run(r, 'Carl', ['history', '--env', 'development', '--at', 'no-such-rev']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--at "no-such-rev" is neither a date');
  });
});

/* ------------------------------------------------------------------------------ verify -- */

describe('verify', () => {
  const SUITE = `cases:\n  - name: echoes\n    vars: { ticket: "refund please" }\n    assert:\n      - { type: contains, value: "refund please" }\n`;
  async function clean(): Promise<TempRegistry> {
    const r = gitRegistry(`environments:\n  development: {}\n  production:\n    requires: development\n    gate: { min_pass_rate: 0.5 }\n    approvals: { required: 1 }\nproviders:\n  offline: { type: echo }\n`);
    made.push(r);
    r.write('prompts/a/evals.yaml', SUITE);
    r.commitAll('suite');
    expect((await run(r, 'Carl', ['promote', 'a@1.0.0', '--env', 'development'])).code).toBe(0);
    expect((await run(r, 'Bo', ['approve', 'a@1.0.0', '--env', 'production'])).code).toBe(0);
    const p = await run(r, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code, p.stderr).toBe(0);
    return r;
  }
  const failed = async (r: TempRegistry) => {
    const res = await run(r, 'Carl', ['verify', '--json']);
    const doc = JSON.parse(res.stdout) as { ok: boolean; pins: { env: string; checks: { name: string; status: string; detail: string }[] }[] };
    return { code: res.code, doc, fails: doc.pins.flatMap((p) => p.checks.filter((c) => c.status === 'fail').map((c) => `${p.env}:${c.name}`)) };
  };

  it('passes on a clean registry (text, json, markdown)', async () => {
    const r = await clean();
    const t = await run(r, 'Carl', ['verify']);
    expect(t.code, t.stdout).toBe(0);
    expect(t.stdout).toContain('✓ eval       pass rate 1 (1/1) on suite');
    expect(t.stdout).toMatch(/2 pins verified\n$/);
    expect((await failed(r)).fails).toEqual([]);
    const md = await run(r, 'Carl', ['verify', '--format', 'markdown']);
    expect(md.stdout).toContain('| production | a | 1.0.0 | ✅ | ✅ | ✅ | ✅ | ✅ | — | ✅ |');
  });

  it('fails (exit 1) when the version file\'s bytes changed on disk, or in a commit', async () => {
    const r = await clean();
    r.write('prompts/a/1.0.0.yaml', promptYaml('a', '1.0.0', { body: '\n      x' }));
    expect(await failed(r)).toMatchObject({ code: 1, fails: ['development:bytes', 'production:bytes'] });
    r.commitAll('edit a pinned version');
    expect((await failed(r)).fails).toEqual(['development:bytes', 'development:blob', 'production:bytes', 'production:blob']);
  });

  it('fails on a hand-edited pin (the chain) and on a pin no promptrail commit introduced', async () => {
    const r = await clean();
    const text = envBytes(r, 'production')!;
    r.write('environments/production.yaml', text.replace(/promoted_by: .*/, 'promoted_by: "Someone Else <x@example.com>"'));
    r.commitAll('hand edit');
    expect((await failed(r)).fails).toEqual(['production:chain']);
    const r2 = await clean();
    expect((await run(r2, 'Carl', ['promote', 'a@1.1.0', '--env', 'development', '--no-commit'])).code).toBe(0);
    r2.commitAll('committed by hand');
    expect((await failed(r2)).fails).toEqual(['development:commit']);
  });

  it('fails when approvals no longer meet the config, and when the eval evidence names a suite the commit did not have', async () => {
    const r = await clean();
    r.write('prompts.config.yaml', readFileSync(path.join(r.dir, 'prompts.config.yaml'), 'utf8').replace('required: 1', 'required: 2'));
    r.commitAll('two approvals now');
    const a = await failed(r);
    expect(a.fails).toEqual(['production:approvals']);
    expect(a.doc.pins[1]!.checks.find((c) => c.name === 'approvals')!.detail).toBe('1 of 2 required');
    // a gate that ran an uncommitted suite: the evidence is of bytes nobody reviewed
    const r2 = await clean();
    expect((await run(r2, 'Carl', ['promote', 'a@1.1.0', '--env', 'development'])).code).toBe(0);
    expect((await run(r2, 'Bo', ['approve', 'a@1.1.0', '--env', 'production'])).code).toBe(0);
    r2.write('prompts/a/evals.yaml', `${SUITE}  - name: more\n    vars: { ticket: "x" }\n    assert:\n      - { type: contains, value: "x" }\n`);
    const p = await run(r2, 'Carl', ['promote', 'a', '--env', 'production']);
    expect(p.code, p.stderr).toBe(0);
    const e = await failed(r2);
    expect(e.fails).toEqual(['production:eval']);
    expect(e.doc.pins[1]!.checks.find((c) => c.name === 'eval')!.detail).toMatch(/the gate ran a suite that was not the committed one/);
  });
});

/**
 * Issue 8 item 2, SPEC §11/§15: environment files are written only by promptrail. A pin, history
 * entry, eval block or rollout edited by hand is found by validate (file:line), validate --base,
 * status and build, and promote, rollback and rollout steps refuse to build on it (exit 1) naming
 * the edit and how to restore the file — writing nothing.
 */
import { describe, it, expect } from 'vitest';
import { arena, oneLine, untouched, type Arena } from './arena.js';
import { writtenEnv } from '../helpers/env-pins.js';

const PASSING = 'cases:\n  - name: ok\n    vars: { ticket: "hello" }\n    assert:\n      - { type: contains, value: "hello" }\n';
const DEV = 'environments/development.yaml';

/** a@1.0.0 then a@1.1.0 promoted into development by promptrail itself (two commits) */
async function promoted(): Promise<Arena> {
  const a = arena({ suite: PASSING });
  for (const v of ['1.0.0', '1.1.0']) expect((await a.run(['promote', `a@${v}`, '--env', 'development'])).exitCode).toBe(0);
  return a;
}

describe('a hand-edited environment file', () => {
  it("a pin's sha256 edited by hand: validate names the edit at its line (not a changed version file), status flags it, build, promote and rollback refuse (exit 1), nothing is written", async () => {
    const a = await promoted();
    const text = a.read(DEV);
    a.write(DEV, text.replace(/^ {4}sha256: [0-9a-f]{64}$/m, `    sha256: ${'f'.repeat(64)}`));
    a.commitAll('pr: edit the pin');
    const v = await untouched(a, () => a.run(['validate']), { repo: true });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/environments\/development\.yaml\n {2}6:13 +error +a: the pin's sha256 is f{64}, but its newest history entry \(promote 1\.0\.0 -> 1\.1\.0 at .*\) recorded [0-9a-f]{64}: the pin was edited by hand; restore the file promptrail wrote .*env-history-tampered/);
    expect(v.stdout).not.toMatch(/pin-sha-mismatch/);
    const s = await untouched(a, () => a.run(['status']), { repo: true });
    expect(s.exitCode).toBe(1);
    expect(s.stdout).toMatch(/a +1\.1\.0 +1\.1\.0 \(EDITED BY HAND\)/);
    for (const args of [['build', '--env', 'development'], ['rollback', 'a', '--env', 'development', '--reason', 'x'], ['promote', 'a@1.0.0', '--env', 'development']]) {
      const r = await untouched(a, () => a.run(args), { repo: true });
      expect(r.exitCode, args.join(' ')).toBe(1);
      oneLine(r, /^error: environments\/development\.yaml: (refused|refusing to build): environments\/development\.yaml was not written by promptrail: a: the pin's sha256 is f{64}.*the pin was edited by hand \(restore the file promptrail wrote \("git log -- environments\/development\.yaml" lists its commits/);
    }
  });

  it('a pin added by hand (a never-staged version with a made-up eval) is refused as the base of a promotion, and validate finds it', async () => {
    const a = await promoted();
    a.write(
      'environments/staging.yaml',
      a.read(DEV).replace('environment: development', 'environment: staging').replace(/^ {4}history:[\s\S]*$/m, '    eval: { pass_rate: 1, passed: 50, cases: 50 }\n    history:\n      - { action: promote, version: 1.1.0, from: null, at: "2026-12-01T10:00:00Z", by: "Ana" }\n'),
    );
    a.commitAll('pr: pin staging by hand');
    const v = await a.run(['validate']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/environments\/staging\.yaml\n {2}\d+:\d+ +error +a: the pin's (previous|eval|sha256|promoted_at) is .* the pin was edited by hand; .*env-history-tampered/);
    const r = await untouched(a, () => a.run(['promote', 'a', '--env', 'production', '--skip-eval', '--reason', 'ship it']), { repo: true });
    expect(r.exitCode).toBe(1);
    oneLine(r, /^error: environments\/staging\.yaml: refused: environments\/staging\.yaml was not written by promptrail: a: .*edited by hand/);
  });

  it('a forgery with recomputed digests passes the chain but not validate --base: a promotion never staged, evidence from no committed suite, history rewritten, outside promptrail commits', async () => {
    const a = await promoted();
    const base = a.git('rev-parse', 'HEAD').trim();
    const sha11 = /version: 1\.1\.0\n {4}sha256: ([0-9a-f]{64})/.exec(a.read(DEV))![1]!;
    const sha10 = /version: 1\.0\.0, from: null, sha256: ([0-9a-f]{64})/.exec(a.read(DEV))![1]!;
    // staging "promoted" 1.1.0 with an eval no suite of this repository produced; development's history rewritten to one entry
    a.write('environments/staging.yaml', writtenEnv('staging', { a: { version: '1.1.0', sha256: sha11, eval: { pass_rate: 1, passed: 50, cases: 50, suite_sha256: 'e'.repeat(64) } } }));
    a.write('environments/production.yaml', writtenEnv('production', { a: { version: '1.0.0', sha256: sha10, previous: null } }));
    a.write(DEV, writtenEnv('development', { a: { version: '1.1.0', sha256: sha11, previous: '1.0.0' } }));
    a.commitAll('pr: forged with recomputed digests');
    // the chain alone cannot tell (it is unkeyed); the base can
    const plain = await a.run(['validate']);
    expect(plain.stdout).not.toMatch(/env-history-tampered/);
    const v = await untouched(a, () => a.run(['validate', '--base', base]), { repo: true });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/environments\/development\.yaml\n {2}\d+:\d+ +error +a: compared with [0-9a-f]+, its newest entry then \(promote 1\.0\.0 -> 1\.1\.0 at .*\) is gone or changed: history is append-only; restore .*env-history-rewritten/);
    expect(v.stdout).toMatch(/environments\/production\.yaml\n(.*\n)* {2}\d+:\d+ +error +a: the entry promote none -> 1\.0\.0 at .* added since [0-9a-f]+ promotes 1\.0\.0, which "staging" never pinned .*env-not-upstream/);
    expect(v.stdout).toMatch(/environments\/staging\.yaml\n(.*\n)* {2}\d+:\d+ +error +a: the eval recorded by promote none -> 1\.1\.0 at .* names suite eeeeeeeeeeee…, which matches no committed version of prompts\/a\/evals\.yaml.*env-eval-unknown-suite/);
    expect(v.stdout).toMatch(/warning +a: the entry promote none -> 1\.1\.0 .* is in no commit of promptrail's \("prompts\(staging\): promote a none -> 1\.1\.0", touching environments\/staging\.yaml alone\); review who wrote it +env-history-unattributed/);
  });

  it("promptrail's own promotions pass validate --base without a finding", async () => {
    const a = arena({ suite: PASSING });
    expect((await a.run(['promote', 'a@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    const base = a.git('rev-parse', 'HEAD').trim();
    for (const args of [['promote', 'a@1.1.0', '--env', 'development'], ['promote', 'a@1.1.0', '--env', 'staging'], ['rollback', 'a', '--env', 'development', '--reason', 'latency']]) {
      expect((await a.run(args)).exitCode, args.join(' ')).toBe(0);
    }
    const v = await a.run(['validate', '--base', base]);
    expect(v.stdout).toMatch(/✔|no problems|0 errors, 0 warnings/);
    expect(v.exitCode, v.stdout).toBe(0);
  });

  it('a rollout edited by hand (its weight) is found by validate and refused by every rollout step and by promote', async () => {
    const a = arena({ suite: PASSING });
    expect((await a.run(['promote', 'a@1.0.0', '--env', 'development'])).exitCode).toBe(0);
    const start = await a.run(['rollout', 'start', 'a@1.1.0', '--env', 'development', '--weight', '5']);
    expect(start.exitCode, start.stderr).toBe(0);
    a.write(DEV, a.read(DEV).replace(/^ {6}weight: 5$/m, '      weight: 100'));
    a.commitAll('pr: everyone on the candidate');
    const v = await a.run(['validate']);
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/\d+:\d+ +error +a: the pin's rollout\.weight is 100, but its history \(rollout-start 1\.0\.0 -> 1\.1\.0 \(5%\) at .*\) recorded 5: the rollout was edited by hand; .*env-history-tampered/);
    for (const args of [['rollout', 'set', 'a', '--env', 'development', '--weight', '50'], ['rollout', 'complete', 'a', '--env', 'development'], ['promote', 'a@1.1.0', '--env', 'development']]) {
      const r = await untouched(a, () => a.run(args), { repo: true });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(1);
      oneLine(r, /was not written by promptrail: a: the pin's rollout\.weight is 100/);
    }
  });
});

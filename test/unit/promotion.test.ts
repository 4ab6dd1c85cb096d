import { describe, it, expect } from 'vitest';
import { selectPromotion, planPromotion, applyPromotion, wasPinned, type PromotionChoice, type PromotionInput } from '../../src/core/promotion.js';
import { isRefusal, type EnvChangePlan, type Refused } from '../../src/core/env-change.js';
import type { GateOutcome } from '../../src/core/gate.js';
import type { EnvironmentFile, EnvPin } from '../../src/core/types.js';
import { migrateHistory } from '../../src/core/env-chain.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
/** A pin as promptrail writes it: its fields what its newest entry recorded, its history chained. */
const pin = (version: string, history: EnvPin['history'] = [], previous: string | null = null, sha256 = SHA): EnvPin => {
  const h = history.length ? history : [{ action: 'promote' as const, version, from: previous, sha256, at: '2026-11-22T10:00:00Z', by: 'Ana <ana@example.com>' }];
  const top = h[0]!;
  return { version: top.version, sha256: top.sha256 ?? sha256, previous: top.from, promoted_at: top.at, promoted_by: top.by, history: migrateHistory(h) as EnvPin['history'] };
};
const envFile = (name: string, prompts: Record<string, EnvPin> = {}): EnvironmentFile => ({ environment: name, prompts });
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'];

function refusalOf(d: unknown): Refused['refusals'][0] {
  expect(d).toMatchObject({ kind: 'refused' });
  return (d as Refused).refusals[0];
}
function planOf(d: EnvChangePlan | Refused): EnvChangePlan {
  if (d.kind !== 'change') throw new Error(`refused: ${d.refusals[0].message}`);
  return d;
}
function mutated(plan: EnvChangePlan, fresh: EnvironmentFile): EnvironmentFile {
  const next = plan.mutate(fresh);
  if (isRefusal(next)) throw new Error(next.message);
  return next;
}

describe('selectPromotion', () => {
  it('promotes the requested version into an env without requires', () => {
    const p = selectPromotion({ id: 'a', requestedVersion: '1.1.0', env: 'development', target: envFile('development'), versions: VERSIONS });
    expect(p).toEqual({ kind: 'choice', id: 'a', env: 'development', version: '1.1.0', from: null, source: 'requested', upstream: null });
  });

  it('promotes the latest version when no version is named and there is no upstream', () => {
    const p = selectPromotion({ id: 'a', env: 'development', target: envFile('development'), versions: VERSIONS });
    expect(p).toMatchObject({ kind: 'choice', version: '1.2.0', source: 'latest' });
  });

  it('promotes what the upstream env pins when no version is named', () => {
    const p = selectPromotion({
      id: 'a',
      env: 'staging',
      target: envFile('staging', { a: pin('1.0.0') }),
      upstream: { name: 'development', file: envFile('development', { a: pin('1.1.0') }) },
      versions: VERSIONS,
    });
    expect(p).toMatchObject({ kind: 'choice', version: '1.1.0', from: '1.0.0', source: 'upstream', upstream: 'development' });
  });

  it('refuses (exit 1) a version never pinned upstream', () => {
    const r = refusalOf(
      selectPromotion({
        id: 'a',
        requestedVersion: '1.2.0',
        env: 'staging',
        target: envFile('staging'),
        upstream: { name: 'development', file: envFile('development', { a: pin('1.1.0') }) },
        versions: VERSIONS,
      }),
    );
    expect(r).toMatchObject({ code: 'requires', exit: 1 });
    expect(r.message).toMatch(/never been pinned in "development"/);
    expect(r.hint).toMatch(/development pins a@1\.1\.0; promote 1\.2\.0 there first/);
  });

  it('accepts a version that was pinned upstream earlier (in its history)', () => {
    const up = pin('1.2.0', [
      { action: 'promote', version: '1.2.0', from: '1.0.0', at: 't', by: 'b' },
      { action: 'promote', version: '1.0.0', from: null, at: 't', by: 'b' },
    ]);
    const p = selectPromotion({
      id: 'a',
      requestedVersion: '1.0.0',
      env: 'staging',
      target: envFile('staging'),
      upstream: { name: 'development', file: envFile('development', { a: up }) },
      versions: VERSIONS,
    });
    expect(p).toMatchObject({ kind: 'choice', version: '1.0.0' });
  });

  it('refuses (exit 1) when the upstream env pins nothing and no version is named', () => {
    const r = refusalOf(selectPromotion({ id: 'a', env: 'staging', target: envFile('staging'), upstream: { name: 'development', file: envFile('development') }, versions: VERSIONS }));
    expect(r).toMatchObject({ code: 'nothing-to-promote', exit: 1 });
    expect(r.message).toMatch(/nothing to promote/);
  });

  it('rejects (exit 2) an unknown version, and a prompt without versions', () => {
    const r = refusalOf(selectPromotion({ id: 'a', requestedVersion: '9.9.9', env: 'development', target: envFile('development'), versions: VERSIONS }));
    expect(r).toMatchObject({ code: 'unknown-version', exit: 2, hint: 'versions of a: 1.0.0, 1.1.0, 1.2.0' });
    expect(r.message).toMatch(/has no version 9.9.9/);
    expect(refusalOf(selectPromotion({ id: 'a', env: 'development', target: envFile('development'), versions: [] }))).toMatchObject({ exit: 2, message: 'prompt "a" has no versions' });
  });

  it('is a no-op when the version is already pinned', () => {
    const p = selectPromotion({ id: 'a', requestedVersion: '1.0.0', env: 'development', target: envFile('development', { a: pin('1.0.0') }), versions: VERSIONS });
    expect(p).toEqual({ kind: 'noop', action: 'promote', id: 'a', env: 'development', version: '1.0.0', text: 'a@1.0.0 is already pinned in development; nothing to do', message: 'already pinned' });
  });
});

describe('planPromotion', () => {
  const choice: PromotionChoice = { kind: 'choice', id: 'a', env: 'staging', version: '1.1.0', from: '1.0.0', source: 'requested', upstream: 'development' };
  const base = (over: Partial<PromotionInput> = {}): PromotionInput => ({
    choice,
    gate: null,
    skipEval: false,
    suite: { file: 'prompts/a/evals.yaml', exists: true },
    file: 'environments/staging.yaml',
    versionFile: 'prompts/a/1.1.0.yaml',
    sha256: SHA,
    pins: [
      { env: 'development', pin: pin('1.1.0') },
      { env: 'staging', pin: pin('1.0.0', [], null, OTHER) },
    ],
    reason: 'better',
    at: '2026-11-22T11:00:00Z',
    by: 'Bo <bo@example.com>',
    historyLimit: 50,
    ...over,
  });
  const passed: GateOutcome = { passed: true, failures: [], summary: { pass_rate: 1, passed: 3, cases: 3, regressions: 0, suite_sha256: 'c'.repeat(64) } };

  it('plans the change: commit subject and body, dry-run lines and JSON keys, no gate', () => {
    const p = planOf(planPromotion(base()));
    expect(p).toMatchObject({ kind: 'change', action: 'promote', id: 'a', env: 'staging', from: '1.0.0', to: '1.1.0', file: 'environments/staging.yaml', reason: 'better', pending: null });
    expect(p.subject).toBe('prompts(staging): promote a 1.0.0 -> 1.1.0');
    expect(p.body).toBe(`Reason: better\nPrompt: a\nVersion: 1.1.0\nSha256: ${SHA}`);
    expect(p.preview).toEqual([
      ['file', 'environments/staging.yaml'],
      ['sha256', SHA],
      ['gate', 'none'],
    ]);
    expect(p.json).toEqual({ plan: { source: 'requested', sha256: SHA, gate: null }, result: { sha256: SHA, eval: null, skipEval: false } });
    expect(p.words).toEqual({ would: 'would promote', done: 'promoted', note: undefined });
  });

  it('mutate pins the version, keeps other prompts, and does not modify its input', () => {
    const p = planOf(planPromotion(base()));
    const fresh = envFile('staging', { a: pin('1.0.0'), z: pin('2.0.0') });
    const next = mutated(p, fresh);
    expect(next.prompts.a).toMatchObject({ version: '1.1.0', sha256: SHA, previous: '1.0.0', promoted_at: '2026-11-22T11:00:00Z', promoted_by: 'Bo <bo@example.com>', reason: 'better' });
    expect(next.prompts.a!.history[0]).toEqual({ action: 'promote', version: '1.1.0', from: '1.0.0', sha256: SHA, at: '2026-11-22T11:00:00Z', by: 'Bo <bo@example.com>', reason: 'better', digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(next.prompts.z).toBe(fresh.prompts.z);
    expect(fresh.prompts.a!.version).toBe('1.0.0');
  });

  it('mutate (compare-and-swap) is a conflict (exit 3) when this prompt was re-pinned meanwhile', () => {
    const p = planOf(planPromotion(base()));
    const r = p.mutate(envFile('staging', { a: pin('1.2.0') }));
    expect(r).toMatchObject({ kind: 'refusal', code: 'conflict', exit: 3, hint: 'run the command again to plan against the current file' });
    expect(isRefusal(r) && r.message).toBe('a in "staging" changed while this promotion was prepared (it was 1.0.0, now 1.2.0)');
    expect(p.mutate(envFile('staging'))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/now not pinned/) });
  });

  describe('integrity (one algorithm for promote and rollback)', () => {
    it('refuses (exit 1) bytes other than those pinned for that version in another environment', () => {
      const r = refusalOf(planPromotion(base({ pins: [{ env: 'development', pin: pin('1.1.0', [], null, OTHER) }, { env: 'staging', pin: undefined }] })));
      expect(r).toMatchObject({ code: 'integrity', exit: 1, file: 'prompts/a/1.1.0.yaml' });
      expect(r.message).toBe(`refused: prompts/a/1.1.0.yaml changed after a@1.1.0 was pinned in "development": its sha256 is ${SHA.slice(0, 12)}…, recorded ${OTHER.slice(0, 12)}…`);
      expect(r.hint).toMatch(/version files are immutable/);
    });

    it('checks the sha256 a history entry recorded, though that version is not pinned anywhere now', () => {
      const moved = pin('1.2.0', [
        { action: 'promote', version: '1.2.0', from: '1.1.0', sha256: 'd'.repeat(64), at: 't', by: 'b' },
        { action: 'promote', version: '1.1.0', from: null, sha256: OTHER, at: 't', by: 'b' },
      ]);
      expect(refusalOf(planPromotion(base({ pins: [{ env: 'development', pin: moved }] })))).toMatchObject({ code: 'integrity' });
      // the same bytes as recorded: fine
      expect(planPromotion(base({ sha256: OTHER, pins: [{ env: 'development', pin: moved }] }))).toMatchObject({ kind: 'change' });
    });

    it('accepts a version recorded nowhere, history entries without a sha256, and bytes matching any record', () => {
      expect(planPromotion(base({ pins: [] }))).toMatchObject({ kind: 'change' });
      const legacy = pin('1.2.0', [
        { action: 'promote', version: '1.2.0', from: '1.1.0', at: 't', by: 'b' },
        { action: 'promote', version: '1.1.0', from: null, at: 't', by: 'b' },
      ]);
      expect(planPromotion(base({ pins: [{ env: 'development', pin: legacy }] }))).toMatchObject({ kind: 'change' });
      expect(
        planPromotion(base({ pins: [{ env: 'development', pin: pin('1.1.0', [], null, OTHER) }, { env: 'production', pin: pin('1.1.0', [], null, SHA) }] })),
      ).toMatchObject({ kind: 'change' });
    });
  });

  describe('gate', () => {
    const gate = { min_pass_rate: 0.8 };

    it('is pending on the gate until its outcome is given (what --dry-run shows)', () => {
      const p = planOf(planPromotion(base({ gate })));
      expect(p.pending).toBe('gate');
      expect(p.preview[2]).toEqual(['gate', 'min_pass_rate 0.8 — would run']);
      expect(p.json.plan.gate).toEqual({ config: gate, run: true });
    });

    it('--report: the gate would check that report; without a gate it is not needed', () => {
      const p = planOf(planPromotion(base({ gate, report: 'ci/merged.json' })));
      expect(p.preview[2]).toEqual(['gate', 'min_pass_rate 0.8 — would check --report ci/merged.json']);
      expect(p.json.plan.gate).toEqual({ config: gate, run: true, report: 'ci/merged.json' });
      expect(planOf(planPromotion(base({ report: 'ci/merged.json' }))).before).toEqual(['note: "staging" has no gate; --report is not needed']);
    });

    it('refuses (exit 1) up front when the prompt has no eval suite', () => {
      const r = refusalOf(planPromotion(base({ gate, suite: { file: 'prompts/a/evals.yaml', exists: false } })));
      expect(r).toMatchObject({ code: 'gate-unavailable', exit: 1 });
      expect(r.message).toBe('refused: the gate of "staging" (min_pass_rate 0.8) cannot run: prompt "a" has no eval suite: add prompts/a/evals.yaml (cases with assertions), or promote with --skip-eval --reason <text>');
    });

    it('a passing outcome is recorded in the pin, its history entry, the commit body and the result', () => {
      const p = planOf(planPromotion(base({ gate, outcome: passed })));
      expect(p.pending).toBeNull();
      const next = mutated(p, envFile('staging', { a: pin('1.0.0') }));
      expect(next.prompts.a!.eval).toEqual(passed.summary);
      expect(next.prompts.a!.history[0]!.eval).toEqual(passed.summary);
      expect(p.body).toContain(`Eval: pass rate 1 (3/3 cases), 0 regressions, suite ${'c'.repeat(12)}`);
      expect(p.json.result).toEqual({ sha256: SHA, eval: passed.summary, skipEval: false });
      expect(p.after).toEqual([`eval: pass rate 1 (3/3 cases), 0 regressions, suite ${'c'.repeat(12)}`]);
    });

    it('a failing outcome is a refusal (exit 1) naming the first reason, with every reason as detail', () => {
      const failed: GateOutcome = { passed: false, failures: ['pass rate 50.0% (1/2) is below the gate\'s min_pass_rate 80.0%', 'case "x" failed: nope'], summary: { pass_rate: 0.5, passed: 1, cases: 2 } };
      const r = refusalOf(planPromotion(base({ gate, outcome: failed })));
      expect(r).toMatchObject({ code: 'gate-failed', exit: 1, hint: '2 reasons, listed above' });
      expect(r.message).toBe('refused: a@1.1.0 did not pass the gate of "staging" (min_pass_rate 0.8): pass rate 50.0% (1/2) is below the gate\'s min_pass_rate 80.0%');
      expect(r.detail).toEqual([`gate of staging failed for a@1.1.0: pass rate 0.5 (1/2 cases)\n  - ${failed.failures[0]}\n  - case "x" failed: nope`]);
      expect(refusalOf(planPromotion(base({ gate, outcome: { ...failed, failures: ['one'] } }))).hint).toBe('see "prompts eval" for the details');
    });

    it('a gate that cannot run is a refusal (exit 1); the --skip-eval hint only when the reason lacks one', () => {
      const r = refusalOf(planPromotion(base({ gate, outcome: { unavailable: 'provider "x" is not configured' } })));
      expect(r).toMatchObject({ code: 'gate-unavailable', exit: 1, message: 'refused: the gate of "staging" (min_pass_rate 0.8) cannot run: provider "x" is not configured', hint: 'fix the eval setup, or bypass it with --skip-eval --reason <text> (recorded)' });
      expect(refusalOf(planPromotion(base({ gate, outcome: { unavailable: 'no suite; or use --skip-eval' } }))).hint).toBeUndefined();
    });

    it('--skip-eval does not wait for the gate and records the skip in history and the body', () => {
      const p = planOf(planPromotion(base({ gate, skipEval: true, suite: { file: 'prompts/a/evals.yaml', exists: false } })));
      expect(p.pending).toBeNull();
      expect(p.preview[2]).toEqual(['gate', 'min_pass_rate 0.8 — skipped (--skip-eval)']);
      expect(p.json.plan.gate).toEqual({ config: gate, run: false, skipped: true });
      expect(p.body).toContain('Eval: skipped (--skip-eval); gate min_pass_rate 0.8 not run');
      const next = mutated(p, envFile('staging', { a: pin('1.0.0') }));
      expect(next.prompts.a!.history[0]!.skip_eval).toBe(true);
      expect('eval' in next.prompts.a!).toBe(false);
    });

    it('--skip-eval without a gate says there is nothing to skip and records no skip', () => {
      const p = planOf(planPromotion(base({ skipEval: true })));
      expect(p.before).toEqual(['note: "staging" has no gate; --skip-eval has nothing to skip']);
      expect(mutated(p, envFile('staging', { a: pin('1.0.0') })).prompts.a!.history[0]!.skip_eval).toBeUndefined();
    });
  });

  it('words the headline after how the version was chosen', () => {
    expect(planOf(planPromotion(base({ choice: { ...choice, source: 'upstream' } }))).words.note).toBe(' (what development pins)');
    expect(planOf(planPromotion(base({ choice: { ...choice, source: 'latest' } }))).words.note).toBe(' (latest version)');
  });
});

describe('applyPromotion', () => {
  const rec = { sha256: 'b'.repeat(64), at: '2026-11-22T11:00:00Z', by: 'Bo <bo@example.com>', reason: 'better', eval: { pass_rate: 1, passed: 3, cases: 3 } };

  it('records version, sha256, previous, who/when/why, eval and prepends history', () => {
    const before = envFile('prod', { a: pin('1.0.0'), b: pin('1.0.0') });
    const after = applyPromotion(before, { id: 'a', version: '1.1.0' }, rec, 50);
    const a = after.prompts.a!;
    expect(a).toMatchObject({ version: '1.1.0', sha256: 'b'.repeat(64), previous: '1.0.0', promoted_at: rec.at, promoted_by: rec.by, reason: 'better', eval: rec.eval });
    expect(a.history[0]).toEqual({ action: 'promote', version: '1.1.0', from: '1.0.0', sha256: 'b'.repeat(64), at: rec.at, by: rec.by, reason: 'better', eval: rec.eval, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(a.history).toHaveLength(2);
    expect(after.prompts.b).toBe(before.prompts.b);
    expect(before.prompts.a!.version).toBe('1.0.0'); // input not modified
  });

  it('bounds history by history_limit, keeping the newest', () => {
    let env = envFile('prod');
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) env = applyPromotion(env, { id: 'a', version: v }, rec, 2);
    expect(env.prompts.a!.history.map((h) => h.version)).toEqual(['1.3.0', '1.2.0']);
  });

  it('records skip_eval only when the gate was skipped', () => {
    const after = applyPromotion(envFile('prod'), { id: 'a', version: '1.1.0' }, { ...rec, eval: undefined, skipEval: true }, 50);
    expect(after.prompts.a!.history[0]!.skip_eval).toBe(true);
    expect(after.prompts.a!.previous).toBeNull();
    expect('eval' in after.prompts.a!).toBe(false);
  });
});

describe('wasPinned', () => {
  it('looks at the current pin and the history', () => {
    const f = envFile('d', { a: pin('1.1.0', [{ action: 'promote', version: '1.1.0', from: '1.0.0', at: 't', by: 'b' }, { action: 'promote', version: '1.0.0', from: null, at: 't', by: 'b' }]) });
    expect(wasPinned(f, 'a', '1.1.0')).toBe(true);
    expect(wasPinned(f, 'a', '1.0.0')).toBe(true);
    expect(wasPinned(f, 'a', '1.2.0')).toBe(false);
    expect(wasPinned(f, 'b', '1.0.0')).toBe(false);
  });
  it('a history cut by history_limit: the recorded previous and the from of the oldest entry still count', () => {
    const f = envFile('d', { a: { ...pin('1.2.0', [{ action: 'promote', version: '1.2.0', from: '1.1.0', at: 't', by: 'b' }]), previous: '1.1.0' } });
    expect(wasPinned(f, 'a', '1.1.0')).toBe(true);
    const g = envFile('d', { a: { ...pin('1.1.0', [{ action: 'rollback', version: '1.1.0', from: '1.2.0', at: 't', by: 'b' }]), previous: '1.0.0' } });
    expect(wasPinned(g, 'a', '1.2.0')).toBe(true);
    expect(wasPinned(g, 'a', '1.0.0')).toBe(true);
    expect(wasPinned(g, 'a', '0.9.0')).toBe(false);
  });
});

/**
 * The rollout plans (core/rollout.ts): start, set, advance, abort, complete — what each writes,
 * its commit subject, every refusal (with its exit code), the compare-and-swap re-checks of
 * `mutate`, and how the other plans (promote, rollback, requires) read rollout history.
 */
import { describe, it, expect } from 'vitest';
import { isRefusal, type EnvChangePlan, type Refused } from '../../src/core/env-change.js';
import { planRolloutAbort, planRolloutAdvance, planRolloutComplete, planRolloutSet, planRolloutStart, rolloutCandidate, startShape, stagesProblem, type RolloutStartInput, type RolloutStepInput } from '../../src/core/rollout.js';
import { selectPromotion, wasPinned } from '../../src/core/promotion.js';
import { promotionStack, selectRollback } from '../../src/core/rollback.js';
import { recordedDigests } from '../../src/core/integrity.js';
import { mergeHistory } from '../../src/core/history.js';
import { parseEnvCommit } from '../../src/git/log.js';
import { migrateHistory, verifyPin } from '../../src/core/env-chain.js';
import type { EnvironmentFile, EnvPin, HistoryEntry, RolloutState } from '../../src/core/types.js';

const SHA = { '1.0.0': 'a'.repeat(64), '1.1.0': 'b'.repeat(64), '1.2.0': 'c'.repeat(64) } as const;
const AT = '2026-12-01T10:00:00Z';
const BY = 'Ana <ana@example.com>';

function stablePin(version: keyof typeof SHA = '1.0.0', extra: Partial<EnvPin> = {}): EnvPin {
  return {
    version,
    sha256: SHA[version],
    previous: null,
    promoted_at: AT,
    promoted_by: BY,
    history: [{ action: 'promote', version, from: null, sha256: SHA[version], at: AT, by: BY }],
    ...extra,
  };
}
const envWith = (pin: EnvPin | undefined, id = 'p'): EnvironmentFile => ({ environment: 'production', prompts: pin ? { [id]: pin } : {} });

function mustPlan<T>(d: T | Refused): T {
  if (typeof d === 'object' && d !== null && (d as { kind?: string }).kind === 'refused') throw new Error((d as Refused).refusals[0].message);
  return d as T;
}
function refusalOf(d: unknown): { code: string; exit: number; message: string } {
  expect((d as { kind: string }).kind).toBe('refused');
  return (d as Refused).refusals[0];
}
function applied(plan: EnvChangePlan, file: EnvironmentFile): EnvironmentFile {
  const next = plan.mutate(file);
  if (isRefusal(next)) throw new Error(next.message);
  return next;
}

function startInput(target: EnvironmentFile, over: Partial<RolloutStartInput> = {}): RolloutStartInput {
  return {
    choice: { kind: 'choice', id: 'p', env: 'production', version: '1.1.0', from: target.prompts.p?.version ?? null, source: 'requested', upstream: null },
    gate: null,
    skipEval: false,
    suite: { file: 'prompts/p/evals.yaml', exists: false },
    versionFile: 'prompts/p/1.1.0.yaml',
    sha256: SHA['1.1.0'],
    pins: [{ env: 'production', pin: target.prompts.p }],
    file: 'environments/production.yaml',
    target,
    weight: 5,
    stages: [5, 25, 50, 100],
    salt: 'p@1.1.0',
    reason: 'canary',
    at: AT,
    by: BY,
    historyLimit: 50,
    ...over,
  };
}

function running(weight = 5, stages: number[] | null = [5, 25, 50, 100]): EnvironmentFile {
  return applied(mustPlan(planRolloutStart(startInput(envWith(stablePin()), { weight, stages }))), envWith(stablePin()));
}

const step = (target: EnvironmentFile, over: Partial<RolloutStepInput> = {}): RolloutStepInput => ({ id: 'p', env: 'production', file: 'environments/production.yaml', target, reason: null, at: '2026-12-01T12:00:00Z', by: 'Bo <bo@example.com>', historyLimit: 50, ...over });

describe('rollout start', () => {
  it('records the candidate, weight, stages, salt and a rollout-start entry; the stable pin stays as it was', () => {
    const target = envWith(stablePin());
    const plan = mustPlan(planRolloutStart(startInput(target)));
    expect(plan).toMatchObject({ action: 'rollout-start', from: '1.0.0', to: '1.1.0', scope: 'p', pending: null });
    expect(plan.subject).toBe('prompts(production): rollout p 1.0.0 -> 1.1.0 0% -> 5%');
    expect(plan.body).toContain('Rollout: start');
    expect(plan.body).toContain('Reason: canary');
    const next = applied(plan, target);
    const pin = next.prompts.p!;
    expect(pin.version).toBe('1.0.0');
    expect(pin.sha256).toBe(SHA['1.0.0']);
    expect(pin.rollout).toEqual({ version: '1.1.0', sha256: SHA['1.1.0'], weight: 5, salt: 'p@1.1.0', stages: [5, 25, 50, 100], started_at: AT, started_by: BY, updated_at: AT } satisfies RolloutState);
    const { digest, ...entry } = pin.history[0]!;
    expect(entry).toEqual({ action: 'rollout-start', version: '1.1.0', from: '1.0.0', weight: 5, sha256: SHA['1.1.0'], at: AT, by: BY, reason: 'canary' });
    expect(digest).toMatch(/^[0-9a-f]{64}$/); // chained like every entry (core/env-chain.ts)
    expect(pin.history).toHaveLength(2);
    expect(target.prompts.p!.rollout).toBeUndefined(); // the input is never modified
  });

  it('is pending on the gate like promote, and records the gate evidence in the rollout', () => {
    const target = envWith(stablePin());
    const gate = { min_pass_rate: 0.9 };
    const pending = mustPlan(planRolloutStart(startInput(target, { gate, suite: { file: 'prompts/p/evals.yaml', exists: true } })));
    expect(pending.pending).toBe('gate');
    const summary = { pass_rate: 1, passed: 3, cases: 3 };
    const done = mustPlan(planRolloutStart(startInput(target, { gate, suite: { file: 'prompts/p/evals.yaml', exists: true }, outcome: { passed: true, failures: [], summary } })));
    expect(done.pending).toBeNull();
    expect(applied(done, target).prompts.p!.rollout!.eval).toEqual(summary);
    const failed = planRolloutStart(startInput(target, { gate, suite: { file: 'prompts/p/evals.yaml', exists: true }, outcome: { passed: false, failures: ['case "x" failed'], summary: { pass_rate: 0, passed: 0, cases: 1 } } }));
    expect(refusalOf(failed)).toMatchObject({ code: 'gate-failed', exit: 1 });
    expect(refusalOf(planRolloutStart(startInput(target, { gate })))).toMatchObject({ code: 'gate-unavailable', exit: 1 });
    const skipped = mustPlan(planRolloutStart(startInput(target, { gate, skipEval: true })));
    expect(applied(skipped, target).prompts.p!.history[0]!.skip_eval).toBe(true);
  });

  it('refuses candidate bytes that differ from what was recorded for that version elsewhere (integrity)', () => {
    const target = envWith(stablePin());
    const r = planRolloutStart(startInput(target, { pins: [{ env: 'staging', pin: stablePin('1.1.0') }, { env: 'production', pin: target.prompts.p }], sha256: 'f'.repeat(64) }));
    expect(refusalOf(r)).toMatchObject({ code: 'integrity', exit: 1 });
  });

  it('refuses: a rollout already running (exit 1), candidate = stable (exit 1), nothing pinned (exit 1)', () => {
    const withRollout = running();
    const sel = selectPromotion({ id: 'p', requestedVersion: '1.2.0', env: 'production', target: withRollout, versions: ['1.0.0', '1.1.0', '1.2.0'], change: 'another rollout' });
    expect(refusalOf(sel)).toMatchObject({ code: 'rollout-running', exit: 1 });
    expect(refusalOf(sel).message).toContain('another rollout waits');
    const same = selectPromotion({ id: 'p', requestedVersion: '1.0.0', env: 'production', target: envWith(stablePin()), versions: ['1.0.0', '1.1.0'] });
    expect(refusalOf(rolloutCandidate(same, envWith(stablePin())))).toMatchObject({ code: 'candidate-is-stable', exit: 1 });
    const none = selectPromotion({ id: 'p', requestedVersion: '1.1.0', env: 'production', target: envWith(undefined), versions: ['1.0.0', '1.1.0'] });
    expect(refusalOf(rolloutCandidate(none, envWith(undefined)))).toMatchObject({ code: 'not-pinned-yet', exit: 1 });
  });

  it('weight and stages: outside 0–100, more than 2 decimals, not ascending, or a weight that is not a stage (exit 2)', () => {
    expect(startShape({ stages: [5, 25] })).toEqual({ weight: 5, stages: [5, 25] });
    expect(startShape({ weight: 10 })).toEqual({ weight: 10, stages: null });
    expect(startShape({ configStages: [1, 10] })).toEqual({ weight: 1, stages: [1, 10] });
    expect(startShape({ weight: 25, configStages: [5, 25] })).toEqual({ weight: 25, stages: [5, 25] });
    expect(refusalOf(startShape({}))).toMatchObject({ code: 'bad-stages', exit: 2 });
    expect(refusalOf(startShape({ weight: 101 }))).toMatchObject({ code: 'bad-weight', exit: 2 });
    expect(refusalOf(startShape({ weight: 1.005 }))).toMatchObject({ code: 'bad-weight', exit: 2 });
    expect(refusalOf(startShape({ weight: -1 }))).toMatchObject({ code: 'bad-weight', exit: 2 });
    expect(refusalOf(startShape({ weight: 10, stages: [5, 25] }))).toMatchObject({ code: 'bad-stages', exit: 2 });
    expect(refusalOf(startShape({ stages: [25, 5] }))).toMatchObject({ code: 'bad-stages', exit: 2 });
    expect(stagesProblem([5, 5])).toMatch(/ascend/);
    expect(stagesProblem([0, 5])).toMatch(/above 0/);
    expect(stagesProblem([5, 100.5])).toMatch(/at most 100/);
    expect(refusalOf(planRolloutStart(startInput(envWith(stablePin()), { weight: 200 })))).toMatchObject({ code: 'bad-weight', exit: 2 });
  });

  it('mutate re-checks: a rollout started meanwhile, or the stable version changed, is a conflict (exit 3)', () => {
    const plan = mustPlan(planRolloutStart(startInput(envWith(stablePin()))));
    const a = plan.mutate(running());
    expect(isRefusal(a) && a.exit).toBe(3);
    const b = plan.mutate(envWith(stablePin('1.2.0')));
    expect(isRefusal(b) && b.exit).toBe(3);
  });
});

describe('rollout set and advance', () => {
  it('set moves the weight, stamps updated_at and records rollout-set; the subject carries both weights', () => {
    const target = running();
    const plan = mustPlan(planRolloutSet({ ...step(target), weight: 12.5 }));
    if (plan.kind !== 'change') throw new Error('expected a change');
    expect(plan.subject).toBe('prompts(production): rollout p 1.0.0 -> 1.1.0 5% -> 12.5%');
    const pin = applied(plan, target).prompts.p!;
    expect(pin.rollout).toMatchObject({ weight: 12.5, updated_at: '2026-12-01T12:00:00Z', started_at: AT });
    expect(pin.history[0]).toMatchObject({ action: 'rollout-set', version: '1.1.0', from: '1.0.0', weight: 12.5, by: 'Bo <bo@example.com>' });
  });

  it('the same weight is no change; a weight out of range is exit 2; no rollout is exit 1', () => {
    const target = running();
    expect(planRolloutSet({ ...step(target), weight: 5 })).toMatchObject({ kind: 'noop' });
    expect(refusalOf(planRolloutSet({ ...step(target), weight: 100.5 }))).toMatchObject({ code: 'bad-weight', exit: 2 });
    expect(refusalOf(planRolloutSet({ ...step(envWith(stablePin())), weight: 10 }))).toMatchObject({ code: 'no-rollout', exit: 1 });
    expect(refusalOf(planRolloutAdvance(step(envWith(undefined))))).toMatchObject({ code: 'no-rollout', exit: 1 });
  });

  it('lowering the weight is allowed and says which buckets go back to stable', () => {
    const target = running(25, [5, 25, 50]);
    const plan = mustPlan(planRolloutSet({ ...step(target), weight: 5 }));
    if (plan.kind !== 'change') throw new Error('expected a change');
    expect(plan.before.join('\n')).toMatch(/buckets 7500–9499 back to 1\.0\.0/);
  });

  it('advance goes to the next stage; at the last stage exit 1; without stages exit 2', () => {
    let target = running();
    for (const want of [25, 50, 100]) {
      const plan = mustPlan(planRolloutAdvance(step(target)));
      if (plan.kind !== 'change') throw new Error('expected a change');
      expect(plan.action).toBe('rollout-advance');
      target = applied(plan, target);
      expect(target.prompts.p!.rollout!.weight).toBe(want);
    }
    expect(refusalOf(planRolloutAdvance(step(target)))).toMatchObject({ code: 'no-next-stage', exit: 1 });
    expect(refusalOf(planRolloutAdvance(step(running(5, null))))).toMatchObject({ code: 'bad-stages', exit: 2 });
    // a weight set between stages advances to the next stage above it
    const between = applied(mustPlan(planRolloutSet({ ...step(running()), weight: 30 })) as EnvChangePlan, running());
    expect(applied(mustPlan(planRolloutAdvance(step(between))) as EnvChangePlan, between).prompts.p!.rollout!.weight).toBe(50);
  });

  it('mutate: a weight changed meanwhile, or the rollout gone, is a conflict (exit 3)', () => {
    const target = running();
    const plan = mustPlan(planRolloutSet({ ...step(target), weight: 25 })) as EnvChangePlan;
    const moved = applied(mustPlan(planRolloutSet({ ...step(target), weight: 10 })) as EnvChangePlan, target);
    const r = plan.mutate(moved);
    expect(isRefusal(r) && r.exit).toBe(3);
    const r2 = plan.mutate(envWith(stablePin()));
    expect(isRefusal(r2) && r2.exit).toBe(3);
  });
});

describe('rollout abort', () => {
  it('removes the rollout, keeps the stable pin, records rollout-abort with weight 0 and the reason', () => {
    const target = running(25);
    const plan = mustPlan(planRolloutAbort(step(target, { reason: 'error rate' })));
    expect(plan.subject).toBe('prompts(production): rollout p 1.0.0 -> 1.1.0 25% -> 0%');
    const pin = applied(plan, target).prompts.p!;
    expect(pin.rollout).toBeUndefined();
    expect(pin).toMatchObject({ version: '1.0.0', sha256: SHA['1.0.0'], previous: null });
    expect(pin.history[0]).toMatchObject({ action: 'rollout-abort', version: '1.1.0', from: '1.0.0', weight: 0, reason: 'error rate' });
    expect(refusalOf(planRolloutAbort(step(envWith(stablePin()))))).toMatchObject({ code: 'no-rollout', exit: 1 });
  });

  it('aborts the same candidate whatever its weight is by then; a different candidate is a conflict', () => {
    const target = running();
    const plan = mustPlan(planRolloutAbort(step(target, { reason: 'x' })));
    const moved = applied(mustPlan(planRolloutSet({ ...step(target), weight: 50 })) as EnvChangePlan, target);
    expect(applied(plan, moved).prompts.p!.rollout).toBeUndefined();
    const r = plan.mutate(envWith(stablePin()));
    expect(isRefusal(r) && r.exit).toBe(3);
  });
});

describe('rollout complete', () => {
  const complete = (target: EnvironmentFile, sha: string | null = SHA['1.1.0']) => planRolloutComplete({ ...step(target), candidateFile: 'prompts/p/1.1.0.yaml', candidateSha256: sha });

  it('pins the candidate with previous = the old stable and its gate evidence; rollback then restores the old stable', () => {
    const target = running(50);
    // the gate's evidence as rollout start records it: in the rollout block and its entry (rechained)
    const ev = { pass_rate: 1, passed: 2, cases: 2 };
    const p0 = target.prompts.p!;
    p0.rollout!.eval = ev;
    p0.history = migrateHistory(p0.history.map(({ digest: _d, prev: _p, ...e }, i) => (i === 0 ? { ...e, eval: ev } : e))) as HistoryEntry[];
    expect(verifyPin(p0).status).toBe('chained');
    const plan = mustPlan(complete(target));
    expect(plan.subject).toBe('prompts(production): rollout p 1.0.0 -> 1.1.0 50% -> 100%');
    const next = applied(plan, target);
    const pin = next.prompts.p!;
    expect(pin).toMatchObject({ version: '1.1.0', sha256: SHA['1.1.0'], previous: '1.0.0', promoted_by: 'Bo <bo@example.com>', eval: { pass_rate: 1, passed: 2, cases: 2 } });
    expect(pin.rollout).toBeUndefined();
    expect(pin.history[0]).toMatchObject({ action: 'rollout-complete', version: '1.1.0', from: '1.0.0', weight: 100 });
    expect(promotionStack(pin)).toEqual(['1.0.0', '1.1.0']);
    const back = selectRollback({ id: 'p', env: 'production', target: next, versions: ['1.0.0', '1.1.0'] });
    expect(back).toMatchObject({ kind: 'choice', from: '1.1.0', version: '1.0.0', previous: null });
  });

  it('refuses a candidate file that is gone or changed since the rollout started (exit 1)', () => {
    expect(refusalOf(complete(running(), null))).toMatchObject({ code: 'version-missing', exit: 1 });
    expect(refusalOf(complete(running(), 'e'.repeat(64)))).toMatchObject({ code: 'integrity', exit: 1 });
    expect(refusalOf(complete(envWith(stablePin())))).toMatchObject({ code: 'no-rollout', exit: 1 });
  });
});

describe('other plans read rollout history', () => {
  it('promote and rollback refuse while a rollout runs (exit 1), and their mutate sees one started meanwhile (exit 3)', () => {
    const target = running();
    expect(refusalOf(selectPromotion({ id: 'p', requestedVersion: '1.2.0', env: 'production', target, versions: ['1.0.0', '1.1.0', '1.2.0'] }))).toMatchObject({ code: 'rollout-running', exit: 1 });
    expect(refusalOf(selectRollback({ id: 'p', env: 'production', target, versions: ['1.0.0', '1.1.0'] }))).toMatchObject({ code: 'rollout-running', exit: 1 });
  });

  it('a candidate that only served part of the keys was never pinned (requires, rollback targets); a completed one was', () => {
    const aborted = applied(mustPlan(planRolloutAbort(step(running(), { reason: 'x' }))), running());
    expect(wasPinned(aborted, 'p', '1.1.0')).toBe(false);
    expect(wasPinned(aborted, 'p', '1.0.0')).toBe(true);
    expect(refusalOf(selectRollback({ id: 'p', env: 'production', target: aborted, to: '1.1.0', versions: ['1.0.0', '1.1.0'] }))).toMatchObject({ code: 'not-in-history', exit: 1 });
    expect(promotionStack(aborted.prompts.p!)).toEqual(['1.0.0']);
    const done = applied(mustPlan(planRolloutComplete({ ...step(running()), candidateFile: 'f', candidateSha256: SHA['1.1.0'] })), running());
    expect(wasPinned(done, 'p', '1.1.0')).toBe(true);
  });

  it('a running candidate\'s sha256 is a recorded digest of that version (integrity in other environments)', () => {
    expect(recordedDigests('1.1.0', [{ env: 'production', pin: running().prompts.p }]).map((d) => d.sha256)).toEqual([SHA['1.1.0']]);
  });

  it('history rows of rollout steps carry both weights, from the entries and from the commit subjects', () => {
    let target = running();
    target = applied(mustPlan(planRolloutSet({ ...step(target, { at: '2026-12-01T11:00:00Z' }), weight: 25 })) as EnvChangePlan, target);
    target = applied(mustPlan(planRolloutAbort(step(target, { reason: 'bad', at: '2026-12-01T12:00:00Z' }))), target);
    const commit = parseEnvCommit('abc', 'Bo <bo@example.com>', '2026-12-01T12:00:00Z', 'prompts(production): rollout p 1.0.0 -> 1.1.0 25% -> 0%', 'Reason: bad\nRollout: abort\nPrompt: p');
    expect(commit).toMatchObject({ action: 'rollout-abort', id: 'p', from: '1.0.0', to: '1.1.0', fromWeight: 25, weight: 0, reason: 'bad' });
    const rows = mergeHistory('p', [{ env: 'production', entries: target.prompts.p!.history }], [commit]);
    expect(rows.map((r) => [r.action, r.fromWeight, r.weight, r.commit?.hash ?? null])).toEqual([
      ['rollout-abort', 25, 0, 'abc'],
      ['rollout-set', 5, 25, null],
      ['rollout-start', 0, 5, null],
      ['promote', null, null, null],
    ]);
  });
});

describe('the history chain covers rollouts (SPEC §15)', () => {
  const why = (p: EnvPin): string => verifyPin(p).problems.map((x) => x.message).join('; ');

  it('every rollout step is chained through recordEntry and verifies: start, set, abort, a new start, complete, at any history_limit', () => {
    for (const historyLimit of [50, 2, 1]) {
      let f = applied(mustPlan(planRolloutStart(startInput(envWith(stablePin()), { historyLimit }))), envWith(stablePin()));
      expect(verifyPin(f.prompts.p!)).toEqual({ status: 'chained', problems: [] });
      f = applied(mustPlan(planRolloutSet({ ...step(f), weight: 25, historyLimit })) as EnvChangePlan, f);
      expect(verifyPin(f.prompts.p!).status).toBe('chained');
      f = applied(mustPlan(planRolloutAbort({ ...step(f, { reason: 'errors' }), historyLimit })), f);
      expect(verifyPin(f.prompts.p!).status).toBe('chained');
      f = applied(mustPlan(planRolloutStart(startInput(f, { historyLimit, pins: [{ env: 'production', pin: f.prompts.p }] }))), f);
      f = applied(mustPlan(planRolloutComplete({ ...step(f), historyLimit, candidateFile: 'prompts/p/1.1.0.yaml', candidateSha256: SHA['1.1.0'] })), f);
      expect(f.prompts.p!.history.every((e) => /^[0-9a-f]{64}$/.test(e.digest ?? ''))).toBe(true);
      expect(verifyPin(f.prompts.p!), `history_limit ${historyLimit}`).toEqual({ status: 'chained', problems: [] });
    }
  });

  it('names a hand-edited rollout block: weight, candidate, a block removed mid-rollout, one added without a start, the completed pin', () => {
    const f = running(5);
    const p = f.prompts.p!;
    expect(why({ ...p, rollout: { ...p.rollout!, weight: 100 } })).toMatch(/the pin's rollout\.weight is 100, but its history \(rollout-start 1\.0\.0 -> 1\.1\.0 \(5%\) at .*\) recorded 5: the rollout was edited by hand/);
    expect(why({ ...p, rollout: { ...p.rollout!, version: '1.2.0' } })).toMatch(/rollout\.version is 1\.2\.0/);
    expect(why({ ...p, rollout: { ...p.rollout!, started_by: 'Mallory' } })).toMatch(/rollout\.started_by is Mallory/);
    const { rollout: _r, ...without } = p;
    expect(why(without)).toMatch(/leaves a rollout of 1\.1\.0 running, but the pin has no rollout block: it was removed by hand/);
    expect(why(stablePin('1.0.0', { rollout: p.rollout }))).toMatch(/the pin has a rollout of 1\.1\.0 at 5%, but its newest history entry \(promote none -> 1\.0\.0 .*\) runs none/);
    // the stable pin under a running rollout is still what its promote recorded
    expect(why({ ...p, sha256: SHA['1.1.0'] })).toMatch(/the pin's sha256 is b+, but its newest promote, rollback or completed rollout \(promote none -> 1\.0\.0 .*\) recorded a+/);
    const done = applied(mustPlan(planRolloutComplete({ ...step(f), candidateFile: 'prompts/p/1.1.0.yaml', candidateSha256: SHA['1.1.0'] })), f).prompts.p!;
    expect(why({ ...done, previous: null })).toMatch(/the pin's previous is null, but its newest history entry \(rollout-complete 1\.0\.0 -> 1\.1\.0 \(100%\) .*\) recorded 1\.0\.0/);
    expect(why({ ...done, version: '1.0.0' })).toMatch(/the pin's version is 1\.0\.0/);
  });

  it('promote and rollback refuse (exit 1) to build on a hand-edited rollout block, and so does every rollout step', () => {
    const f = running(5);
    const forged = envWith({ ...f.prompts.p!, rollout: { ...f.prompts.p!.rollout!, weight: 100 } });
    const r = refusalOf(selectRollback({ id: 'p', env: 'production', target: forged, versions: ['1.0.0', '1.1.0'] }));
    expect(r).toMatchObject({ code: 'tampered', exit: 1 });
    expect(r.message).toMatch(/^refused: environments\/production\.yaml was not written by promptrail: p: the pin's rollout\.weight is 100/);
    expect(refusalOf(selectPromotion({ id: 'p', env: 'production', target: forged, versions: ['1.0.0', '1.1.0'], requestedVersion: '1.1.0' }))).toMatchObject({ code: 'tampered', exit: 1 });
    for (const plan of [planRolloutSet({ ...step(forged), weight: 50 }), planRolloutAbort(step(forged, { reason: 'x' })), planRolloutComplete({ ...step(forged), candidateFile: 'prompts/p/1.1.0.yaml', candidateSha256: SHA['1.1.0'] })]) {
      expect(refusalOf(plan)).toMatchObject({ code: 'tampered', exit: 1 });
    }
  });
});

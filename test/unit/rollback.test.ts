import { describe, it, expect } from 'vitest';
import { planRollback, applyRollback, promotionStack, recheckRollback, type RollbackPlan } from '../../src/core/rollback.js';
import { applyPromotion, type PromotionPlan } from '../../src/core/promotion.js';
import type { EnvironmentFile } from '../../src/core/types.js';
import { CheckFailed } from '../../src/errors.js';

const sha = (v: string): string => v.replace(/\D/g, '').padEnd(64, 'c');
let clock = 0;
const rec = (v: string) => ({ sha256: sha(v), at: `2026-11-22T10:00:${String(clock++ % 60).padStart(2, '0')}Z`, by: 'Ana' });

function promote(env: EnvironmentFile, v: string, limit = 50): EnvironmentFile {
  const plan: PromotionPlan = { kind: 'promote', id: 'a', env: 'prod', version: v, from: env.prompts.a?.version ?? null, gate: null, source: 'requested' };
  return applyPromotion(env, plan, { ...rec(v), eval: { pass_rate: 1, passed: 1, cases: 1 } }, limit);
}
function rollback(env: EnvironmentFile, to?: string): EnvironmentFile {
  const p = planRollback({ id: 'a', env: 'prod', target: env, to });
  if (p.kind !== 'rollback') throw new Error('noop');
  return applyRollback(env, p, rec(p.version), 50);
}
const empty = (): EnvironmentFile => ({ environment: 'prod', prompts: {} });
const active = (e: EnvironmentFile) => [e.prompts.a!.version, e.prompts.a!.previous];

describe('rollback', () => {
  it('walks back the chain 1.2.0 -> 1.1.0 -> 1.0.0 -> nothing to roll back', () => {
    let e = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');
    expect(active(e)).toEqual(['1.2.0', '1.1.0']);
    e = rollback(e);
    expect(active(e)).toEqual(['1.1.0', '1.0.0']);
    e = rollback(e);
    expect(active(e)).toEqual(['1.0.0', null]);
    expect(() => rollback(e)).toThrow(CheckFailed);
    expect(() => rollback(e)).toThrow(/nothing to roll back/);
  });

  it('a history cut by history_limit still rolls back to the recorded previous version', () => {
    let e = promote(promote(promote(empty(), '1.0.0', 2), '1.1.0', 2), '1.2.0', 2);
    const p = planRollback({ id: 'a', env: 'prod', target: e });
    if (p.kind !== 'rollback') throw new Error('noop');
    e = applyRollback(e, p, rec(p.version), 2);
    expect(active(e)).toEqual(['1.1.0', '1.0.0']);
    // the first rollback said "another rollback goes to 1.0.0": it must
    e = rollback(e);
    expect(active(e)).toEqual(['1.0.0', null]);
    expect(() => rollback(e)).toThrow(/nothing to roll back/);
  });

  it('never toggles, even when an old version was promoted again', () => {
    let e = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.0.0');
    e = rollback(e);
    expect(active(e)).toEqual(['1.1.0', '1.0.0']);
    e = rollback(e);
    expect(active(e)).toEqual(['1.0.0', null]);
    expect(() => rollback(e)).toThrow(/nothing to roll back/);
  });

  it('a promotion after a rollback continues from the restored version', () => {
    let e = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');
    e = rollback(e);
    e = promote(e, '1.3.0');
    expect(active(e)).toEqual(['1.3.0', '1.1.0']);
    e = rollback(e);
    expect(active(e)).toEqual(['1.1.0', '1.0.0']);
  });

  it('--to picks a version from history and sets previous from the chain', () => {
    let e = promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');
    e = rollback(e, '1.0.0');
    expect(active(e)).toEqual(['1.0.0', null]);
    // roll forward to a version that was popped: the active version becomes previous
    e = rollback(e, '1.2.0');
    expect(active(e)).toEqual(['1.2.0', '1.0.0']);
  });

  it('--to refuses (exit 1) a version not in history and is a no-op for the active version', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    expect(() => planRollback({ id: 'a', env: 'prod', target: e, to: '2.0.0' })).toThrow(/not in the recorded history/);
    expect(planRollback({ id: 'a', env: 'prod', target: e, to: '1.1.0' })).toMatchObject({ kind: 'noop' });
  });

  it('refuses (exit 1) when the prompt is not pinned at all', () => {
    expect(() => planRollback({ id: 'a', env: 'prod', target: empty() })).toThrow(/not pinned in "prod"/);
  });

  it('carries the recorded sha256 and the eval of the restored version, and records the rollback', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    const p = planRollback({ id: 'a', env: 'prod', target: e, to: undefined }) as RollbackPlan;
    expect(p.recordedSha256).toBe(sha('1.0.0'));
    expect(p.eval).toEqual({ pass_rate: 1, passed: 1, cases: 1 });
    const after = applyRollback(e, p, { ...rec('1.0.0'), reason: 'latency spike' }, 50);
    expect(after.prompts.a!.history[0]).toMatchObject({ action: 'rollback', version: '1.0.0', from: '1.1.0', reason: 'latency spike' });
    expect(after.prompts.a!.reason).toBe('latency spike');
  });

  it('with truncated history the chain ends where history ends', () => {
    let e = empty();
    for (const v of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) e = promote(e, v, 2);
    expect(promotionStack(e.prompts.a!)).toEqual(['1.1.0', '1.2.0', '1.3.0']);
  });

  it('trusts the pin when history does not end at the pinned version', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    const pin = { ...e.prompts.a!, version: '1.5.0', previous: '1.4.0' };
    expect(promotionStack(pin)).toEqual(['1.4.0', '1.5.0']);
  });

  it('recheck: conflict when the pin moved', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    const p = planRollback({ id: 'a', env: 'prod', target: e }) as RollbackPlan;
    expect(recheckRollback(p, e)).toBe(p);
    expect(recheckRollback(p, promote(e, '1.2.0'))).toEqual({ conflict: expect.stringMatching(/changed while/) });
  });
});

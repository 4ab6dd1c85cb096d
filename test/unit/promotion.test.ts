import { describe, it, expect } from 'vitest';
import { planPromotion, applyPromotion, recheckPromotion, wasPinned, type PromotionPlan } from '../../src/core/promotion.js';
import type { EnvironmentFile, EnvPin } from '../../src/core/types.js';
import { CheckFailed, UsageError } from '../../src/errors.js';

const SHA = 'a'.repeat(64);
const pin = (version: string, history: EnvPin['history'] = [], previous: string | null = null): EnvPin => ({
  version,
  sha256: SHA,
  previous,
  promoted_at: '2026-11-22T10:00:00Z',
  promoted_by: 'Ana <ana@example.com>',
  history: history.length ? history : [{ action: 'promote', version, from: previous, at: '2026-11-22T10:00:00Z', by: 'Ana' }],
});
const envFile = (name: string, prompts: Record<string, EnvPin> = {}): EnvironmentFile => ({ environment: name, prompts });
const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'];

describe('planPromotion', () => {
  it('promotes the requested version into an env without requires', () => {
    const p = planPromotion({ id: 'a', requestedVersion: '1.1.0', env: 'development', envConfig: {}, target: envFile('development'), versions: VERSIONS });
    expect(p).toMatchObject({ kind: 'promote', version: '1.1.0', from: null, gate: null, source: 'requested' });
  });

  it('promotes the latest version when no version is named and there is no upstream', () => {
    const p = planPromotion({ id: 'a', env: 'development', envConfig: {}, target: envFile('development'), versions: VERSIONS });
    expect(p).toMatchObject({ kind: 'promote', version: '1.2.0', source: 'latest' });
  });

  it('promotes what the upstream env pins when no version is named', () => {
    const p = planPromotion({
      id: 'a',
      env: 'staging',
      envConfig: { requires: 'development', gate: { min_pass_rate: 0.8 } },
      target: envFile('staging', { a: pin('1.0.0') }),
      upstream: { name: 'development', file: envFile('development', { a: pin('1.1.0') }) },
      versions: VERSIONS,
    });
    expect(p).toMatchObject({ kind: 'promote', version: '1.1.0', from: '1.0.0', gate: { min_pass_rate: 0.8 }, source: 'upstream' });
  });

  it('refuses (exit 1) a version never pinned upstream', () => {
    const run = () =>
      planPromotion({
        id: 'a',
        requestedVersion: '1.2.0',
        env: 'staging',
        envConfig: { requires: 'development' },
        target: envFile('staging'),
        upstream: { name: 'development', file: envFile('development', { a: pin('1.1.0') }) },
        versions: VERSIONS,
      });
    expect(run).toThrow(CheckFailed);
    expect(run).toThrow(/never been pinned in "development"/);
  });

  it('accepts a version that was pinned upstream earlier (in its history)', () => {
    const up = pin('1.2.0', [
      { action: 'promote', version: '1.2.0', from: '1.0.0', at: 't', by: 'b' },
      { action: 'promote', version: '1.0.0', from: null, at: 't', by: 'b' },
    ]);
    const p = planPromotion({
      id: 'a',
      requestedVersion: '1.0.0',
      env: 'staging',
      envConfig: { requires: 'development' },
      target: envFile('staging'),
      upstream: { name: 'development', file: envFile('development', { a: up }) },
      versions: VERSIONS,
    });
    expect(p).toMatchObject({ kind: 'promote', version: '1.0.0' });
  });

  it('refuses (exit 1) when the upstream env pins nothing and no version is named', () => {
    expect(() =>
      planPromotion({ id: 'a', env: 'staging', envConfig: { requires: 'development' }, target: envFile('staging'), upstream: { name: 'development', file: envFile('development') }, versions: VERSIONS }),
    ).toThrow(/nothing to promote/);
  });

  it('rejects (exit 2) an unknown version', () => {
    const run = () => planPromotion({ id: 'a', requestedVersion: '9.9.9', env: 'development', envConfig: {}, target: envFile('development'), versions: VERSIONS });
    expect(run).toThrow(UsageError);
    expect(run).toThrow(/has no version 9.9.9/);
  });

  it('is a no-op when the version is already pinned', () => {
    const p = planPromotion({ id: 'a', requestedVersion: '1.0.0', env: 'development', envConfig: {}, target: envFile('development', { a: pin('1.0.0') }), versions: VERSIONS });
    expect(p).toEqual({ kind: 'noop', id: 'a', env: 'development', version: '1.0.0' });
  });
});

describe('applyPromotion', () => {
  const plan: PromotionPlan = { kind: 'promote', id: 'a', env: 'prod', version: '1.1.0', from: '1.0.0', gate: null, source: 'requested' };
  const rec = { sha256: 'b'.repeat(64), at: '2026-11-22T11:00:00Z', by: 'Bo <bo@example.com>', reason: 'better', eval: { pass_rate: 1, passed: 3, cases: 3 } };

  it('records version, sha256, previous, who/when/why, eval and prepends history', () => {
    const before = envFile('prod', { a: pin('1.0.0'), b: pin('1.0.0') });
    const after = applyPromotion(before, plan, rec, 50);
    const a = after.prompts.a!;
    expect(a).toMatchObject({ version: '1.1.0', sha256: 'b'.repeat(64), previous: '1.0.0', promoted_at: rec.at, promoted_by: rec.by, reason: 'better', eval: rec.eval });
    expect(a.history[0]).toEqual({ action: 'promote', version: '1.1.0', from: '1.0.0', sha256: 'b'.repeat(64), at: rec.at, by: rec.by, reason: 'better', eval: rec.eval });
    expect(a.history).toHaveLength(2);
    expect(after.prompts.b).toBe(before.prompts.b);
    expect(before.prompts.a!.version).toBe('1.0.0'); // input not modified
  });

  it('bounds history by history_limit, keeping the newest', () => {
    let env = envFile('prod');
    const versions = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];
    for (const v of versions) {
      const from = env.prompts.a?.version ?? null;
      env = applyPromotion(env, { ...plan, version: v, from }, rec, 2);
    }
    expect(env.prompts.a!.history.map((h) => h.version)).toEqual(['1.3.0', '1.2.0']);
  });

  it('records skip_eval only when the gate was skipped', () => {
    const after = applyPromotion(envFile('prod'), { ...plan, from: null }, { ...rec, eval: undefined, skipEval: true }, 50);
    expect(after.prompts.a!.history[0]!.skip_eval).toBe(true);
    expect(after.prompts.a!.previous).toBeNull();
    expect('eval' in after.prompts.a!).toBe(false);
  });
});

describe('recheckPromotion (compare-and-swap)', () => {
  const plan: PromotionPlan = { kind: 'promote', id: 'a', env: 'prod', version: '1.1.0', from: '1.0.0', gate: null, source: 'requested' };
  it('keeps the plan when only other prompts changed', () => {
    expect(recheckPromotion(plan, envFile('prod', { a: pin('1.0.0'), z: pin('2.0.0') }))).toBe(plan);
  });
  it('reports a conflict when this prompt was re-pinned meanwhile', () => {
    expect(recheckPromotion(plan, envFile('prod', { a: pin('1.2.0') }))).toEqual({ conflict: expect.stringMatching(/changed while/) });
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

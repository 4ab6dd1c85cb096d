import { describe, it, expect } from 'vitest';
import { selectRollback, planRollback, applyRollback, promotionStack, type RollbackChoice, type RollbackInput } from '../../src/core/rollback.js';
import { applyPromotion } from '../../src/core/promotion.js';
import type { EnvChangePlan, Refused } from '../../src/core/env-change.js';
import type { EnvironmentFile } from '../../src/core/types.js';
import { migrateHistory } from '../../src/core/env-chain.js';

const sha = (v: string): string => v.replace(/\D/g, '').padEnd(64, 'c');
let clock = 0;
const rec = (v: string) => ({ sha256: sha(v), at: `2026-11-22T10:00:${String(clock++ % 60).padStart(2, '0')}Z`, by: 'Ana' });

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '1.3.0'];
function promote(env: EnvironmentFile, v: string, limit = 50): EnvironmentFile {
  return applyPromotion(env, { id: 'a', version: v }, { ...rec(v), eval: { pass_rate: 1, passed: 1, cases: 1 } }, limit);
}
/** selectRollback as the command calls it (throws the refusal's message; the refusal is in .refusal) */
function select(env: EnvironmentFile, to?: string, versions: string[] = VERSIONS): ReturnType<typeof selectRollback> {
  return selectRollback({ id: 'a', env: 'prod', target: env, to, versions });
}
function choiceOf(d: ReturnType<typeof selectRollback>): RollbackChoice {
  if (d.kind === 'refused') throw Object.assign(new Error(d.refusals[0].message), { refusal: d.refusals[0] });
  if (d.kind !== 'choice') throw new Error('noop');
  return d;
}
function rollback(env: EnvironmentFile, to?: string, limit = 50): EnvironmentFile {
  const c = choiceOf(select(env, to));
  return applyRollback(env, c, rec(c.version), limit);
}
const refusalOf = (d: unknown): Refused['refusals'][0] => {
  expect(d).toMatchObject({ kind: 'refused' });
  return (d as Refused).refusals[0];
};
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
    expect(refusalOf(select(e))).toMatchObject({ code: 'chain-exhausted', exit: 1 });
    expect(() => rollback(e)).toThrow(/nothing to roll back/);
  });

  it('a history cut by history_limit still rolls back to the recorded previous version', () => {
    let e = promote(promote(promote(empty(), '1.0.0', 2), '1.1.0', 2), '1.2.0', 2);
    e = rollback(e, undefined, 2);
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
    const r = refusalOf(select(e, '1.3.0'));
    expect(r).toMatchObject({ code: 'not-in-history', exit: 1, hint: "versions in prod's history: 1.0.0" });
    expect(r.message).toMatch(/not in the recorded history/);
    expect(select(e, '1.1.0')).toEqual({ kind: 'noop', action: 'rollback', id: 'a', env: 'prod', version: '1.1.0', text: 'a@1.1.0 is already the active version in prod; nothing to do', message: 'already active' });
  });

  it('--to a version that exists nowhere (no file, never recorded) is exit 2; one only recorded is still known', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    expect(refusalOf(select(e, '2.0.0'))).toMatchObject({ code: 'unknown-version', exit: 2, message: 'prompt "a" has no version 2.0.0', hint: `versions: ${VERSIONS.join(', ')}` });
    expect(choiceOf(select(e, '1.0.0', ['1.1.0']))).toMatchObject({ version: '1.0.0' });
  });

  it('refuses (exit 1) when the prompt is not pinned at all', () => {
    const r = refusalOf(select(empty()));
    expect(r).toMatchObject({ code: 'not-pinned', exit: 1 });
    expect(r.message).toMatch(/not pinned in "prod"/);
  });

  it('carries the eval of the restored version, and records the rollback', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    const c = choiceOf(select(e));
    expect(c.eval).toEqual({ pass_rate: 1, passed: 1, cases: 1 });
    const after = applyRollback(e, c, { ...rec('1.0.0'), reason: 'latency spike' }, 50);
    expect(after.prompts.a!.history[0]).toMatchObject({ action: 'rollback', version: '1.0.0', from: '1.1.0', reason: 'latency spike' });
    expect(after.prompts.a!.reason).toBe('latency spike');
    expect(after.prompts.a!.eval).toEqual({ pass_rate: 1, passed: 1, cases: 1 });
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

  it('mutate (compare-and-swap): conflict (exit 3) when the pin moved', () => {
    const e = promote(promote(empty(), '1.0.0'), '1.1.0');
    const p = planOf(planRollback(planInput(e)));
    expect(p.mutate(e)).toMatchObject({ prompts: { a: { version: '1.0.0' } } });
    expect(p.mutate(promote(e, '1.2.0'))).toMatchObject({ kind: 'refusal', code: 'conflict', exit: 3, message: 'a in "prod" changed while this rollback was prepared (it was 1.1.0, now 1.2.0)' });
  });
});

function planInput(e: EnvironmentFile, over: Partial<RollbackInput> = {}): RollbackInput {
  const choice = choiceOf(select(e));
  return {
    choice,
    file: 'environments/prod.yaml',
    versionFile: `prompts/a/${choice.version}.yaml`,
    sha256: sha(choice.version),
    pins: [{ env: 'prod', pin: e.prompts.a }],
    reason: null,
    at: '2026-11-22T12:00:00Z',
    by: 'Ana',
    historyLimit: 50,
    ...over,
  };
}
function planOf(d: EnvChangePlan | Refused): EnvChangePlan {
  if (d.kind !== 'change') throw new Error(d.refusals[0].message);
  return d;
}

describe('planRollback', () => {
  const chain = (): EnvironmentFile => promote(promote(promote(empty(), '1.0.0'), '1.1.0'), '1.2.0');

  it('plans the change: subject, body, dry-run lines, JSON keys and the note after it', () => {
    const p = planOf(planRollback(planInput(chain(), { reason: 'latency spike' })));
    expect(p).toMatchObject({ action: 'rollback', id: 'a', env: 'prod', from: '1.2.0', to: '1.1.0', reason: 'latency spike', pending: null });
    expect(p.subject).toBe('prompts(prod): rollback a 1.2.0 -> 1.1.0');
    expect(p.body).toBe(`Reason: latency spike\nPrompt: a\nVersion: 1.1.0\nSha256: ${sha('1.1.0')}`);
    expect(p.preview).toEqual([
      ['previous becomes', '1.0.0'],
      ['file', 'environments/prod.yaml'],
      ['sha256', sha('1.1.0')],
    ]);
    expect(p.json).toEqual({ plan: { previous: '1.0.0', sha256: sha('1.1.0') }, result: { previous: '1.0.0', sha256: sha('1.1.0') } });
    expect(p.after).toEqual(['previous is now 1.0.0 (another rollback goes to 1.0.0)']);
  });

  it('refuses (exit 1) when the restored file no longer exists', () => {
    const r = refusalOf(planRollback(planInput(chain(), { sha256: null })));
    expect(r).toMatchObject({ code: 'version-missing', exit: 1, message: 'cannot roll back a in "prod" to 1.1.0: prompts/a/1.1.0.yaml no longer exists' });
  });

  it('refuses (exit 1) bytes other than the sha256 its history recorded', () => {
    const r = refusalOf(planRollback(planInput(chain(), { sha256: 'f'.repeat(64) })));
    expect(r).toMatchObject({ code: 'integrity', exit: 1, file: 'prompts/a/1.1.0.yaml' });
    expect(r.message).toBe(`cannot roll back a in "prod" to 1.1.0: prompts/a/1.1.0.yaml changed since it was pinned (sha256 ${'f'.repeat(12)}…, recorded ${sha('1.1.0').slice(0, 12)}…)`);
  });

  it('refuses bytes other than those another environment pins for that version (the same check as promote)', () => {
    const e = chain();
    const staging = applyPromotion(empty(), { id: 'a', version: '1.1.0' }, { ...rec('1.1.0'), sha256: 'e'.repeat(64) }, 50).prompts.a!;
    // the history of prod records no sha256 for 1.1.0 here (as files written before entries had one): only staging's pin does
    const pinned = e.prompts.a!;
    const strip = pinned.history.map(({ sha256: _s, digest: _d, ...h }, i) => (i === 0 ? { ...h, sha256: pinned.sha256 } : h));
    const bare = { ...e, prompts: { a: { ...pinned, history: migrateHistory(strip) as typeof pinned.history } } };
    const r = refusalOf(planRollback({ ...planInput(bare), pins: [{ env: 'prod', pin: bare.prompts.a }, { env: 'staging', pin: staging }] }));
    expect(r).toMatchObject({ code: 'integrity' });
    expect(r.message).toMatch(/recorded eeeeeeeeeeee…/);
    expect(planRollback({ ...planInput(bare), pins: [{ env: 'prod', pin: bare.prompts.a }] })).toMatchObject({ kind: 'change' });
  });

  it('a chain ending at the restored version says nothing further can be rolled back', () => {
    const p = planOf(planRollback(planInput(promote(promote(empty(), '1.0.0'), '1.1.0'))));
    expect(p.preview[0]).toEqual(['previous becomes', 'none (the chain ends here)']);
    expect(p.after).toEqual(['previous is now none (nothing further to roll back)']);
  });
});

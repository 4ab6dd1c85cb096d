/** The approval rules of SPEC §15 (core/approval.ts): who counts, who may approve, the approve plan. */
import { describe, it, expect } from 'vitest';
import { approvalRefusal, approvalVerdict, personKey, planApprove, type ApprovalFact, type ApprovalRuleInput, type ApproveInput } from '../../src/core/approval.js';
import { isRefusal, type EnvChangePlan, type Refused } from '../../src/core/env-change.js';
import type { EnvironmentFile } from '../../src/core/types.js';

const SHA = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const ANA = 'Ana <ana@example.com>';
const BO = 'Bo <bo@example.com>';
const CARL = 'Carl <carl@example.com>';
const DAN = 'Dan <dan@example.com>';

const fact = (by: string, o: Partial<{ sha256: string; commit: ApprovalFact['commit'] | null; at: string }> = {}): ApprovalFact => ({
  approval: { by, at: o.at ?? '2026-12-01T10:00:00Z', sha256: o.sha256 ?? SHA },
  commit: o.commit === undefined ? { hash: `${by.length}`.padEnd(40, 'c'), author: by, signature: null, signer: null } : o.commit,
});

const rule = (facts: ApprovalFact[], over: Partial<ApprovalRuleInput> = {}): ApprovalRuleInput => ({
  id: 'p',
  version: '1.2.0',
  env: 'production',
  sha256: SHA,
  required: 1,
  signed: false,
  authors: [ANA],
  promoter: CARL,
  facts,
  inGit: true,
  ...over,
});

describe('approvalVerdict', () => {
  it('counts an approval of these bytes by someone other than the author and the promoter', () => {
    expect(approvalVerdict(rule([fact(BO)]))).toMatchObject({ missing: 0, counted: [{ by: BO }] });
  });

  it('does not count the author, the promoter, other bytes, a hand-added record, or the same person twice', () => {
    const v = approvalVerdict(
      rule([fact(ANA), fact(CARL), fact(DAN, { sha256: OTHER }), fact('Eve <eve@example.com>', { commit: null }), fact(BO), fact('Bob Other <BO@example.com>')], { required: 3 }),
    );
    expect(v.counted.map((c) => c.by)).toEqual([BO]);
    expect(v.missing).toBe(2);
    expect(v.ignored.map((i) => i.why)).toEqual([
      'the approver is an author of the version',
      'the approver is the one promoting',
      expect.stringMatching(/^it approved other bytes/),
      expect.stringMatching(/^no "prompts approve" commit recorded it/),
      'already counted for this person',
    ]);
  });

  it('does not count a record whose commit someone else authored', () => {
    const v = approvalVerdict(rule([fact(BO, { commit: { hash: 'f'.repeat(40), author: DAN, signature: null, signer: null } })]));
    expect(v.missing).toBe(1);
    expect(v.ignored[0]!.why).toMatch(/authored by Dan <dan@example.com>, not the approver/);
  });

  it('signed: only a commit that verifies, signed by the approver, counts', () => {
    const c = (signature: 'good' | 'bad' | 'none', signer: string | null) => fact(BO, { commit: { hash: 'e'.repeat(40), author: BO, signature, signer } });
    expect(approvalVerdict(rule([c('good', 'bo@example.com')], { signed: true })).missing).toBe(0);
    expect(approvalVerdict(rule([c('none', null)], { signed: true })).ignored[0]!.why).toMatch(/is not signed/);
    expect(approvalVerdict(rule([c('bad', null)], { signed: true })).ignored[0]!.why).toMatch(/does not verify/);
    expect(approvalVerdict(rule([c('good', 'dan@example.com')], { signed: true })).ignored[0]!.why).toMatch(/signed by dan@example.com, not by the approver/);
  });

  it('tells people apart by e-mail, without case', () => {
    expect(personKey('Bo <BO@Example.com>')).toBe(personKey('Robert <bo@example.com>'));
    expect(personKey('ci')).toBe('ci');
  });
});

describe('approvalRefusal', () => {
  it('names what is missing and who may approve (exit 1)', () => {
    const r = approvalRefusal(rule([fact(BO)], { required: 2 }))!.refusals[0];
    expect(r.exit).toBe(1);
    expect(r.message).toMatch(/^refused: "production" requires 2 approvals of p@1\.2\.0 \(sha256 a{12}…\) by people other than its author and the promoter; it has 1 \(Bo <bo@example.com>\): 1 more approval needed$/);
    expect(r.hint).toBe('anyone but Ana <ana@example.com> (author), Carl <carl@example.com> (promoting), Bo <bo@example.com> (approved already) may approve: "prompts approve p@1.2.0 --env production --reason <text>"');
  });

  it('is null with enough approvals or none required; outside git approvals cannot be checked', () => {
    expect(approvalRefusal(rule([fact(BO)]))).toBeNull();
    expect(approvalRefusal(rule([], { required: 0 }))).toBeNull();
    expect(approvalRefusal(rule([fact(BO)], { inGit: false }))!.refusals[0].message).toMatch(/outside a git work tree/);
  });
});

describe('planApprove', () => {
  const target = (approvals: EnvironmentFile['approvals'] = undefined): EnvironmentFile => ({ environment: 'production', prompts: {}, ...(approvals ? { approvals } : {}) });
  const input = (over: Partial<ApproveInput> = {}): ApproveInput => ({
    id: 'p',
    version: '1.2.0',
    env: 'production',
    file: 'environments/production.yaml',
    versionFile: 'prompts/p/1.2.0.yaml',
    sha256: SHA,
    by: BO,
    at: '2026-12-01T11:00:00Z',
    reason: 'looks right',
    authors: [{ author: ANA, hash: '1'.repeat(40) }],
    target: target(),
    pins: [],
    signed: false,
    ...over,
  });
  const refusalOf = (d: EnvChangePlan | Refused) => {
    expect(d.kind).toBe('refused');
    return (d as Refused).refusals[0];
  };

  it('adds { by, at, sha256, reason } as one whole-file change with its own subject and trailers', () => {
    const plan = planApprove(input()) as EnvChangePlan;
    expect(plan).toMatchObject({ kind: 'change', action: 'approve', scope: null, subject: 'prompts(production): approve p 1.2.0' });
    expect(plan.body).toContain(`Sha256: ${SHA}`);
    expect(plan.body).toContain('Approved-at: 2026-12-01T11:00:00Z');
    const next = plan.mutate(target({ 'p@1.2.0': [{ by: DAN, at: '2026-12-01T09:00:00Z', sha256: SHA }] }));
    expect(isRefusal(next)).toBe(false);
    expect((next as EnvironmentFile).approvals!['p@1.2.0']).toEqual([
      { by: DAN, at: '2026-12-01T09:00:00Z', sha256: SHA },
      { by: BO, at: '2026-12-01T11:00:00Z', sha256: SHA, reason: 'looks right' },
    ]);
  });

  it('refuses the author (exit 1)', () => {
    const r = refusalOf(planApprove(input({ by: 'Ana Again <ANA@example.com>' })));
    expect(r).toMatchObject({ code: 'self-approval', exit: 1 });
    expect(r.message).toMatch(/authored p@1\.2\.0 \(commit 111111111111\); a version cannot be approved by its author/);
  });

  it('refuses approving twice, and a second approval that appeared while planning is a conflict (exit 3)', () => {
    const t = target({ 'p@1.2.0': [{ by: BO, at: '2026-12-01T09:00:00Z', sha256: SHA }] });
    expect(refusalOf(planApprove(input({ target: t })))).toMatchObject({ code: 'already-approved', exit: 1 });
    const plan = planApprove(input()) as EnvChangePlan;
    const r = plan.mutate(t);
    expect(isRefusal(r) && r.exit).toBe(3);
  });

  it('refuses a version whose bytes changed since someone approved them, or since it was pinned', () => {
    const t = target({ 'p@1.2.0': [{ by: DAN, at: '2026-12-01T09:00:00Z', sha256: OTHER }] });
    expect(refusalOf(planApprove(input({ target: t }))).message).toMatch(/changed since Dan <dan@example.com> approved it/);
    const pin = { version: '1.2.0', sha256: OTHER, previous: null, promoted_at: 'x', promoted_by: 'x', history: [] };
    expect(refusalOf(planApprove(input({ pins: [{ env: 'staging', pin }] }))).message).toMatch(/changed since it was pinned in "staging"/);
  });

  it('carries the environment\'s signing requirement to apply/', () => {
    expect((planApprove(input({ signed: true })) as EnvChangePlan).signed).toBe(true);
  });
});

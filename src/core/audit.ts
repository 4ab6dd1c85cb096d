/**
 * The audit of SPEC §15, as pure functions over facts the commands gather from git:
 *   - `pinsAsOf`: every pin of an environment file as of one commit (`history --at`), with who,
 *     when, why, the eval evidence, the approvals of the pinned bytes and the commit behind it;
 *   - `verifyPinChecks`: one pin checked end to end (`prompts verify`): bytes, committed blob,
 *     the promptrail commit that introduced it, the history chain, approvals, signatures, and the
 *     eval evidence against the suite the commit had.
 */
import { verifyPin, type ChainVerdict } from './env-chain.js';
import { approvalVerdict, approvalsOf, type ApprovalRuleInput } from './approval.js';
import { mergeHistory, isRolloutStep, type CommitFacts } from './history.js';
import { short } from './integrity.js';
import type { Approval, EnvironmentFile, EnvPin, EvalSummary, HistoryEntry, RolloutState } from './types.js';

export interface PinAsOf {
  id: string;
  version: string;
  sha256: string;
  previous: string | null;
  promoted_at: string;
  promoted_by: string;
  reason: string | null;
  eval: EvalSummary | null;
  rollout: RolloutState | null;
  /** the newest history entry: what last changed the pin */
  last: { action: string; from: string | null; to: string; at: string; by: string; reason: string | null } | null;
  /** the commit of that entry (null: none found, e.g. --no-commit) */
  commit: { hash: string; author: string; date: string } | null;
  /** the approvals the file recorded for the pinned version's bytes */
  approvals: Approval[];
}

/** Every pin of `file` (the env file as of a commit), with the commits of its history (`commits`: of that file, reachable from that commit). */
export function pinsAsOf(file: EnvironmentFile, commits: readonly CommitFacts[]): PinAsOf[] {
  return Object.keys(file.prompts)
    .sort()
    .map((id) => {
      const pin = file.prompts[id]!;
      const newest = pin.history[0];
      const rows = newest ? mergeHistory(id, [{ env: file.environment, entries: [newest] }], commits) : [];
      const row = rows.find((r) => r.source !== 'git');
      return {
        id,
        version: pin.version,
        sha256: pin.sha256,
        previous: pin.previous,
        promoted_at: pin.promoted_at,
        promoted_by: pin.promoted_by,
        reason: pin.reason ?? null,
        eval: pin.eval ?? null,
        rollout: pin.rollout ?? null,
        last: newest ? { action: newest.action, from: newest.from, to: newest.version, at: newest.at, by: newest.by, reason: newest.reason ?? null } : null,
        commit: row?.commit ?? null,
        approvals: approvalsOf(file, id, pin.version).filter((a) => a.sha256 === pin.sha256),
      };
    });
}

/* ------------------------------------------------------------------------------ verify -- */

export type CheckName = 'bytes' | 'blob' | 'commit' | 'chain' | 'approvals' | 'signatures' | 'eval';
export const CHECKS: readonly CheckName[] = ['bytes', 'blob', 'commit', 'chain', 'approvals', 'signatures', 'eval'];

export interface Check {
  name: CheckName;
  /** ok; fail: untraceable (exit 1); skip: does not apply (said why) */
  status: 'ok' | 'fail' | 'skip';
  detail: string;
}

/** The newest entry that pinned the current version (promote, rollback, rollout-complete), and its index. */
export function pinningEntry(pin: EnvPin): { entry: HistoryEntry; index: number } | null {
  const index = pin.history.findIndex((e) => !isRolloutStep(e.action) || e.action === 'rollout-complete');
  return index >= 0 ? { entry: pin.history[index]!, index } : null;
}

/** For a completed rollout: the rollout-start of that candidate below the completion (its gate and approvals decided). */
export function startOfCompleted(pin: EnvPin, index: number): HistoryEntry | null {
  const done = pin.history[index]!;
  for (let k = index + 1; k < pin.history.length; k++) {
    const e = pin.history[k]!;
    if (e.action === 'rollout-start' && e.version === done.version) return e;
    if (!isRolloutStep(e.action)) return null;
  }
  return null;
}

export interface CommitFact {
  hash: string;
  author: string;
  /** paths the commit changed (relative to the top) */
  changed: readonly string[];
}

export interface PinFacts {
  env: string;
  id: string;
  pin: EnvPin;
  /** registry-relative paths */
  envRel: string;
  versionRel: string;
  /** the env file relative to the work tree top (what commits list) */
  envTopRel: string;
  /** sha256 of the version file's bytes on disk (null: missing) and of its blob at HEAD (null: not committed) */
  fileSha: string | null;
  headSha: string | null;
  /** a running rollout's candidate: the same two */
  candidate: { rel: string; fileSha: string | null; headSha: string | null } | null;
  /** false outside a git work tree: nothing can be traced */
  inGit: boolean;
  /** the commit that recorded the newest history entry, and the one that recorded the pinning entry */
  newestCommit: CommitFact | null;
  pinningCommit: CommitFact | null;
  /** what the environment requires */
  required: number;
  signed: boolean;
  gated: boolean;
  /** the approval facts for the pinning promotion (null: not a promotion that needed approvals) */
  approvals: ApprovalRuleInput | null;
  /** git verify-commit of the pinning commit (null: not checked) */
  signature: { status: 'good' | 'bad' | 'none'; signer: string | null; detail: string } | null;
  /** sha256 of the suite's blob in the pinning commit (null: the commit had no suite) */
  suiteShaAtCommit: string | null;
}

const ok = (name: CheckName, detail: string): Check => ({ name, status: 'ok', detail });
const fail = (name: CheckName, detail: string): Check => ({ name, status: 'fail', detail });
const skip = (name: CheckName, detail: string): Check => ({ name, status: 'skip', detail });

/** Every check of one pin, in CHECKS order. */
export function verifyPinChecks(f: PinFacts): Check[] {
  const { pin } = f;
  const out: Check[] = [];
  // bytes
  if (f.fileSha === null) out.push(fail('bytes', `${f.versionRel} does not exist`));
  else if (f.fileSha !== pin.sha256) out.push(fail('bytes', `${f.versionRel} has sha256 ${short(f.fileSha)}, the pin records ${short(pin.sha256)}`));
  else if (f.candidate && f.candidate.fileSha !== pin.rollout?.sha256) out.push(fail('bytes', `the candidate ${f.candidate.rel} ${f.candidate.fileSha === null ? 'does not exist' : `has sha256 ${short(f.candidate.fileSha)}, the rollout records ${short(pin.rollout!.sha256)}`}`));
  else out.push(ok('bytes', `sha256 ${short(pin.sha256)}${f.candidate ? ' (and the candidate\'s)' : ''}`));
  // blob
  if (!f.inGit) out.push(fail('blob', 'not a git repository: no committed blob to compare with'));
  else if (f.headSha !== pin.sha256) out.push(fail('blob', f.headSha === null ? `${f.versionRel} is not committed at HEAD` : `the committed ${f.versionRel} has sha256 ${short(f.headSha)}, the pin records ${short(pin.sha256)}`));
  else if (f.candidate && f.candidate.headSha !== pin.rollout?.sha256) out.push(fail('blob', `the candidate ${f.candidate.rel} at HEAD is not the bytes the rollout records`));
  else out.push(ok('blob', 'HEAD holds those bytes'));
  // commit
  const newest = pin.history[0];
  if (!f.inGit) out.push(fail('commit', 'not a git repository'));
  else if (!newest) out.push(fail('commit', 'the pin has no history'));
  else if (!f.newestCommit) out.push(fail('commit', `no promptrail commit recorded its newest entry (${newest.action} ${newest.from ?? 'none'} -> ${newest.version} at ${newest.at}): written with --no-commit or by hand`));
  else if (f.newestCommit.changed.length !== 1 || f.newestCommit.changed[0] !== f.envTopRel) out.push(fail('commit', `commit ${f.newestCommit.hash.slice(0, 12)} changed more than ${f.envTopRel} (${f.newestCommit.changed.join(', ') || 'nothing'}): promptrail's commits touch the environment file alone`));
  else out.push(ok('commit', `${newest.action} in ${f.newestCommit.hash.slice(0, 12)} by ${f.newestCommit.author}`));
  // chain
  const chain: ChainVerdict = verifyPin(pin);
  if (chain.status === 'tampered') out.push(fail('chain', chain.problems[0]?.message ?? 'tampered'));
  else if (chain.status === 'legacy') out.push(fail('chain', 'the history has no digests (written before chains): it cannot be verified; the next promote or rollback of this prompt chains it'));
  else out.push(ok('chain', `${pin.history.length} entr${pin.history.length === 1 ? 'y' : 'ies'} chained`));
  // approvals
  const pinning = pinningEntry(pin);
  if (f.required <= 0) out.push(skip('approvals', `"${f.env}" requires none`));
  else if (!pinning) out.push(fail('approvals', 'no history entry pinned this version'));
  else if (pinning.entry.action === 'rollback') out.push(skip('approvals', 'pinned by a rollback (the emergency path needs none)'));
  else if (!f.approvals) out.push(fail('approvals', 'no approval facts'));
  else {
    const v = approvalVerdict(f.approvals);
    if (v.missing > 0) out.push(fail('approvals', `${v.counted.length} of ${f.required} required${v.ignored.length ? `; not counted: ${v.ignored.map((i) => `${i.by}: ${i.why}`).join('; ')}` : ''}`));
    else out.push(ok('approvals', v.counted.map((c) => `${c.by} (${c.commit.slice(0, 12)})`).join(', ')));
  }
  // signatures
  if (!f.signed) out.push(skip('signatures', `"${f.env}" does not require them`));
  else if (!pinning || pinning.entry.action === 'rollback') out.push(skip('signatures', 'pinned by a rollback (not a promotion)'));
  else if (!f.signature) out.push(fail('signatures', 'the promotion has no commit to verify'));
  else if (f.signature.status !== 'good') out.push(fail('signatures', `the promotion commit ${f.pinningCommit?.hash.slice(0, 12) ?? ''} ${f.signature.status === 'none' ? 'is not signed' : `does not verify (${f.signature.detail})`}`));
  else if (f.approvals && approvalVerdict(f.approvals).missing > 0) out.push(fail('signatures', 'approval commits do not all verify (see approvals)'));
  else out.push(ok('signatures', `promotion signed by ${f.signature.signer ?? 'a trusted key'}${f.required > 0 ? ', approvals verified' : ''}`));
  // eval
  const ev = pin.eval;
  const decided = pinning?.entry.action === 'rollout-complete' ? startOfCompleted(pin, pinning.index) : pinning?.entry;
  if (!pinning) out.push(fail('eval', 'no history entry pinned this version'));
  else if (pinning.entry.action === 'rollback') out.push(skip('eval', 'a rollback keeps the eval of the promotion it restores'));
  else if (decided?.skip_eval) out.push(ok('eval', 'the gate was skipped with --skip-eval (recorded with its reason)'));
  else if (!ev) out.push(f.gated ? fail('eval', `"${f.env}" has a gate, but the pin records no eval evidence`) : skip('eval', `"${f.env}" has no gate`));
  else if (!ev.suite_sha256) out.push(fail('eval', 'the eval evidence names no suite sha256'));
  else if (!f.pinningCommit) out.push(fail('eval', 'no commit to compare the suite with'));
  else if (f.suiteShaAtCommit !== ev.suite_sha256) out.push(fail('eval', `the evidence names suite ${short(ev.suite_sha256)}, but commit ${f.pinningCommit.hash.slice(0, 12)} had ${f.suiteShaAtCommit === null ? 'no suite' : `suite ${short(f.suiteShaAtCommit)}`}: the gate ran a suite that was not the committed one`));
  else out.push(ok('eval', `pass rate ${ev.pass_rate} (${ev.passed}/${ev.cases}) on suite ${short(ev.suite_sha256)}, as committed`));
  return out;
}

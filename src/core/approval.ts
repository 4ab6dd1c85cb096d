/**
 * Approvals (SPEC §15), as pure rules: who may approve a version (`prompts approve`), and whether
 * a promote or a rollout start has the approvals its environment requires. No fs, no git, no
 * clock: the git facts (who added the version file, which commit recorded each approval, whether
 * it verifies) are gathered by the command (src/git/audit.ts) and passed in.
 *
 * People are told apart by the e-mail of their git identity ("Name <email>", compared without
 * case), else by the whole identity. An approval counts for a promotion when
 *   - it approved exactly the bytes being pinned (its sha256),
 *   - a `prompts approve` commit of that environment file recorded it, authored by the approver
 *     (with `signed: true`: that commit verifies with `git verify-commit` and its signer is the
 *     approver), so an approval typed into the file by hand counts for nothing,
 *   - the approver is neither an author of the version file (who committed it) nor the promoter,
 *   - and no earlier counted approval is by the same person.
 */
import { refusal, refused, type EnvChangePlan, type Refusal, type Refused } from './env-change.js';
import { integrityMismatch, short, type PinIn } from './integrity.js';
import type { Approval, ApprovalsConfig, EnvironmentFile } from './types.js';

/** The key people are told apart by: the identity's e-mail (lower case), else the identity. */
export function personKey(ident: string): string {
  const m = /<([^<>]*)>\s*$/.exec(ident);
  const email = m?.[1]?.trim();
  return (email || ident.trim()).toLowerCase();
}

export function samePerson(a: string, b: string): boolean {
  return personKey(a) === personKey(b);
}

/** `approvals` key of a version. */
export function approvalKey(id: string, version: string): string {
  return `${id}@${version}`;
}

export function approvalsOf(file: EnvironmentFile, id: string, version: string): Approval[] {
  return file.approvals?.[approvalKey(id, version)] ?? [];
}

/** The required approvals and signatures of an environment (0 / false when not configured). */
export function approvalRules(cfg: ApprovalsConfig | undefined): { required: number; signed: boolean } {
  return { required: cfg?.required ?? 0, signed: cfg?.signed ?? false };
}

/** What git says about the commit that recorded an approval. */
export interface ApprovalCommit {
  hash: string;
  /** its author, "Name <email>" */
  author: string;
  /** `git verify-commit`: good (verifies, known signer), bad (signed, does not verify), none (unsigned); null: not checked */
  signature: 'good' | 'bad' | 'none' | null;
  /** the signer's principal (SSH) or identity (GPG) when it verified */
  signer: string | null;
}

/** An approval recorded in the env file, with the commit that recorded it (null: none did). */
export interface ApprovalFact {
  approval: Approval;
  commit: ApprovalCommit | null;
}

export interface ApprovalRuleInput {
  id: string;
  version: string;
  env: string;
  /** the bytes being pinned */
  sha256: string;
  required: number;
  signed: boolean;
  /** the version file's authors (who committed it; the first is the commit that added it) */
  authors: readonly string[];
  /** who promotes (the git identity) */
  promoter: string;
  facts: readonly ApprovalFact[];
  /** the registry is in a git work tree (approvals are git facts: none can be checked outside one) */
  inGit: boolean;
}

export interface ApprovalVerdict {
  /** the approvals counted, one per person */
  counted: { by: string; at: string; commit: string }[];
  /** the approvals that do not count, and why */
  ignored: { by: string; why: string }[];
  /** how many more are needed (0: enough) */
  missing: number;
}

/** Why one approval does not count, or null when it does (before distinctness). */
function approvalProblem(f: ApprovalFact, input: ApprovalRuleInput): string | null {
  const a = f.approval;
  if (a.sha256 !== input.sha256) return `it approved other bytes (sha256 ${short(a.sha256)}, the version is ${short(input.sha256)} now)`;
  if (!f.commit) return 'no "prompts approve" commit recorded it (added to the file by hand, or never committed)';
  if (!samePerson(f.commit.author, a.by)) return `the commit that recorded it (${f.commit.hash.slice(0, 12)}) was authored by ${f.commit.author}, not the approver`;
  if (input.signed) {
    if (f.commit.signature === 'none') return `its commit ${f.commit.hash.slice(0, 12)} is not signed, and "${input.env}" requires signed approvals`;
    if (f.commit.signature !== 'good') return `its commit ${f.commit.hash.slice(0, 12)} does not verify ("git verify-commit ${f.commit.hash.slice(0, 12)}")`;
    if (!f.commit.signer || !samePerson(`<${f.commit.signer}>`, a.by)) return `its commit ${f.commit.hash.slice(0, 12)} is signed by ${f.commit.signer ?? 'an unknown key'}, not by the approver`;
  }
  if (input.authors.some((x) => samePerson(x, a.by))) return 'the approver is an author of the version';
  if (samePerson(input.promoter, a.by)) return 'the approver is the one promoting';
  return null;
}

/** Which recorded approvals count for pinning `input.sha256`, and how many are missing. */
export function approvalVerdict(input: ApprovalRuleInput): ApprovalVerdict {
  const counted: ApprovalVerdict['counted'] = [];
  const ignored: ApprovalVerdict['ignored'] = [];
  const seen = new Set<string>();
  for (const f of input.facts) {
    const why = approvalProblem(f, input);
    if (why) ignored.push({ by: f.approval.by, why });
    else if (seen.has(personKey(f.approval.by))) ignored.push({ by: f.approval.by, why: 'already counted for this person' });
    else {
      seen.add(personKey(f.approval.by));
      counted.push({ by: f.approval.by, at: f.approval.at, commit: f.commit!.hash });
    }
  }
  return { counted, ignored, missing: Math.max(0, input.required - counted.length) };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * The refusal (exit 1) of a promote or rollout start without the approvals its environment
 * requires, naming what is missing and who may approve; null when there are enough.
 */
export function approvalRefusal(input: ApprovalRuleInput, what = 'promoting'): Refused | null {
  if (input.required <= 0) return null;
  const ref = approvalKey(input.id, input.version);
  if (!input.inGit) {
    return refused({
      code: 'approvals',
      exit: 1,
      message: `refused: "${input.env}" requires ${plural(input.required, 'approval')} of ${ref}, and approvals are git commits: ${what} outside a git work tree cannot check any`,
      hint: 'run it in the registry\'s git repository',
    });
  }
  const v = approvalVerdict(input);
  if (v.missing === 0) return null;
  const not = [
    ...input.authors.map((a) => `${a} (author)`),
    `${input.promoter} (promoting)`,
    ...v.counted.map((c) => `${c.by} (approved already)`),
  ].filter((x, i, all) => all.findIndex((y) => samePerson(y.replace(/ \([^)]*\)$/, ''), x.replace(/ \([^)]*\)$/, ''))) === i);
  const has = v.counted.length ? `it has ${v.counted.length} (${v.counted.map((c) => c.by).join(', ')})` : 'it has none';
  return refused({
    code: 'approvals',
    exit: 1,
    message: `refused: "${input.env}" requires ${plural(input.required, 'approval')} of ${ref} (sha256 ${short(input.sha256)}) by people other than its author and the promoter; ${has}: ${plural(v.missing, 'more approval')} needed`,
    hint: `anyone but ${not.join(', ')} may approve: "prompts approve ${ref} --env ${input.env} --reason <text>"${input.signed ? ' (with a signed commit: git config commit.gpgsign true)' : ''}`,
    detail: v.ignored.map((i) => `not counted: the approval by ${i.by}: ${i.why}`),
  });
}

/* ---------------------------------------------------------------------------- approve -- */

export interface ApproveInput {
  id: string;
  version: string;
  env: string;
  /** registry-relative paths of the environment file and the version file */
  file: string;
  versionFile: string;
  /** sha256 of the version file's bytes now */
  sha256: string;
  /** the approver's git identity */
  by: string;
  at: string;
  reason: string | null;
  /** the version file's authors (first: the commit that added it) */
  authors: readonly { author: string; hash: string }[];
  /** the environment file as read now (whole file: approvals are top-level) */
  target: EnvironmentFile;
  /** this prompt's pins everywhere: bytes recorded for the version must be these bytes */
  pins: readonly PinIn[];
  signed: boolean;
}

function selfApproval(input: Pick<ApproveInput, 'id' | 'version' | 'env' | 'by' | 'authors'>): Omit<Refusal, 'kind'> | null {
  const own = input.authors.find((a) => samePerson(a.author, input.by));
  if (!own) return null;
  return {
    code: 'self-approval',
    exit: 1,
    message: `refused: ${input.by} authored ${approvalKey(input.id, input.version)} (commit ${own.hash.slice(0, 12)}); a version cannot be approved by its author`,
    hint: `ask a reviewer to run "prompts approve ${approvalKey(input.id, input.version)} --env ${input.env}"`,
  };
}

function twice(input: Pick<ApproveInput, 'id' | 'version' | 'by' | 'sha256'>, existing: readonly Approval[], exit: 1 | 3): Omit<Refusal, 'kind'> | null {
  const again = existing.find((a) => samePerson(a.by, input.by) && a.sha256 === input.sha256);
  if (!again) return null;
  return {
    code: exit === 3 ? 'conflict' : 'already-approved',
    exit,
    message: `refused: ${input.by} already approved ${approvalKey(input.id, input.version)} (sha256 ${short(input.sha256)}) at ${again.at}${exit === 3 ? ', while this approval was prepared' : ''}; an approval counts once per person`,
    hint: 'another reviewer has to approve it',
  };
}

function changedBytes(input: ApproveInput, existing: readonly Approval[]): Omit<Refusal, 'kind'> | null {
  const other = existing.find((a) => a.sha256 !== input.sha256);
  if (!other) return null;
  return {
    code: 'integrity',
    exit: 1,
    message: `refused: ${input.versionFile} changed since ${other.by} approved it at ${other.at} (sha256 ${short(input.sha256)} now, approved ${short(other.sha256)})`,
    file: input.versionFile,
    hint: 'version files are immutable: restore the approved bytes from git, or bump a new version and approve that',
  };
}

/** `prompts approve <id>@<ver> --env <env>`: the plan (one commit adding the approval), or why not. */
export function planApprove(input: ApproveInput): EnvChangePlan | Refused {
  const { id, version, env } = input;
  const key = approvalKey(id, version);
  const self = selfApproval(input);
  if (self) return refused(self);
  const existing = approvalsOf(input.target, id, version);
  const dup = twice(input, existing, 1);
  if (dup) return refused(dup);
  const mismatch = integrityMismatch(version, input.sha256, input.pins);
  if (mismatch) {
    return refused({
      code: 'integrity',
      exit: 1,
      message: `refused: ${input.versionFile} changed since it was pinned in "${mismatch[0]!.env}" (sha256 ${short(input.sha256)} now, recorded ${short(mismatch[0]!.sha256)})`,
      file: input.versionFile,
      hint: 'version files are immutable: restore the recorded bytes from git, or bump a new version and approve that',
    });
  }
  const changed = changedBytes(input, existing);
  if (changed) return refused(changed);
  const approval: Approval = { by: input.by, at: input.at, sha256: input.sha256, ...(input.reason ? { reason: input.reason } : {}) };
  const pinned = input.target.prompts[id]?.version ?? null;
  const lines = [...(input.reason ? [`Reason: ${input.reason.replace(/\s*\n\s*/g, ' ')}`] : []), `Prompt: ${id}`, `Version: ${version}`, `Sha256: ${input.sha256}`, `Approved-by: ${input.by}`, `Approved-at: ${input.at}`];
  return {
    kind: 'change',
    action: 'approve',
    id,
    env,
    from: pinned,
    to: version,
    file: input.file,
    reason: input.reason,
    subject: `prompts(${env}): approve ${id} ${version}`,
    body: lines.join('\n'),
    mutate: (fresh): EnvironmentFile | Refusal => {
      const now = approvalsOf(fresh, id, version);
      const again = twice(input, now, 3);
      if (again) return refusal(again);
      const moved = changedBytes(input, now);
      if (moved) return refusal({ ...moved, code: 'conflict', exit: 3 });
      return { ...fresh, approvals: { ...(fresh.approvals ?? {}), [key]: [...now, approval] } };
    },
    scope: null,
    pending: null,
    signed: input.signed,
    words: { would: 'would approve', done: 'approved', what: `${key} for ${env}` },
    preview: [
      ['approver', input.by],
      ['sha256', input.sha256],
      ['file', input.file],
      ['approvals', `${existing.length} before this one${existing.length ? ` (${existing.map((a) => a.by).join(', ')})` : ''}`],
    ],
    json: {
      plan: { version, sha256: input.sha256, by: input.by, approvals: existing.length + 1 },
      result: { version, sha256: input.sha256, by: input.by, approvals: [...existing, approval] },
    },
    before: [],
    after: [],
  };
}

/**
 * The git facts of SPEC §15 (approvals, signatures, audit): who committed a version file, which
 * `prompts approve` commit recorded an approval, whether a commit verifies (`git verify-commit`)
 * and who signed it, an environment file as of a date or revision, blobs at a commit. Every call
 * takes the work tree's top level; paths are relative to it.
 */
import { git, gitBuffer } from './run.js';
import { createHash } from 'node:crypto';
import { parseEnvCommit, type EnvCommit } from './log.js';

const lit = (p: string): string => `:(literal)${p}`;
const US = '\x1f';
const RS = '\x1e';

export interface CommitRef {
  hash: string;
  /** "Name <email>" */
  author: string;
  /** author date, ISO 8601 strict */
  date: string;
}

/**
 * The commits that added or changed `fileRel` reachable from HEAD, oldest first (the first one
 * added it). Empty when the file was never committed.
 */
export async function fileCommits(top: string, fileRel: string): Promise<CommitRef[]> {
  let out: string;
  try {
    out = await git(top, ['log', '--reverse', '--no-color', `--format=%H${US}%an <%ae>${US}%aI${RS}`, '--', lit(fileRel)]);
  } catch {
    return [];
  }
  return out
    .split(RS)
    .map((r) => r.trim())
    .filter(Boolean)
    .map((r) => {
      const [hash, author, date] = r.split(US) as [string, string, string];
      return { hash, author, date };
    });
}

/** A version file's authors: who committed it, the commit that added it first (SPEC §15 "the version's author"). */
export async function versionAuthors(top: string, fileRel: string): Promise<{ author: string; hash: string }[]> {
  const seen = new Set<string>();
  const out: { author: string; hash: string }[] = [];
  for (const c of await fileCommits(top, fileRel)) {
    const k = c.author.toLowerCase();
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ author: c.author, hash: c.hash });
  }
  return out;
}

export interface Signature {
  /** good: `git verify-commit` accepts it; bad: signed but refused; none: not signed */
  status: 'good' | 'bad' | 'none';
  /** the signer's principal (SSH allowed signers) or key owner (GPG), when it verified */
  signer: string | null;
  /** git's one line about it (from verify-commit's stderr), for messages */
  detail: string;
}

/** `git verify-commit <hash>` and the signer git reports (%GS). */
export async function commitSignature(top: string, hash: string): Promise<Signature> {
  const fmt = await git(top, ['log', '-1', '--no-color', `--format=%G?${US}%GS`, hash]).catch(() => 'N');
  const [g = 'N', signer = ''] = fmt.trim().split(US);
  if (g === 'N') return { status: 'none', signer: null, detail: 'not signed' };
  try {
    await git(top, ['verify-commit', hash]);
    return { status: 'good', signer: signer.trim() || null, detail: 'verifies' };
  } catch (e) {
    const se = (e as { stderr?: string }).stderr ?? '';
    const line = se.split('\n').map((l) => l.trim()).filter(Boolean).pop() ?? 'does not verify';
    return { status: 'bad', signer: null, detail: line };
  }
}

export interface ApproveCommit extends CommitRef {
  env: string;
  id: string;
  version: string;
  sha256: string | null;
  /** the `Approved-at` trailer: the approval record's `at` */
  approvedAt: string | null;
}

const APPROVE = /^prompts\(([^)]+)\): approve (\S+) (\S+)$/;

/** The `prompts approve` commits of an environment file reachable from HEAD, newest first. */
export async function approveCommits(top: string, envRel: string): Promise<ApproveCommit[]> {
  let out: string;
  try {
    out = await git(top, ['log', '--no-color', `--format=%H${US}%an <%ae>${US}%aI${US}%s${US}%b${RS}`, '--', lit(envRel)]);
  } catch {
    return [];
  }
  const res: ApproveCommit[] = [];
  for (const rec of out.split(RS)) {
    const r = rec.replace(/^\n+/, '');
    if (!r.trim()) continue;
    const [hash, author, date, subject, body = ''] = r.split(US) as [string, string, string, string, string?];
    const m = APPROVE.exec(subject ?? '');
    if (!m) continue;
    const trailer = (k: string): string | null => new RegExp(`^${k}: (.*)$`, 'm').exec(body)?.[1]?.trim() ?? null;
    res.push({ hash, author, date, env: m[1]!, id: m[2]!, version: m[3]!, sha256: trailer('Sha256'), approvedAt: trailer('Approved-at') });
  }
  return res;
}

/** Is `a` an ancestor of (or the same as) `b`? */
export async function isAncestor(top: string, a: string, b: string): Promise<boolean> {
  try {
    await git(top, ['merge-base', '--is-ancestor', a, b]);
    return true;
  } catch {
    return false;
  }
}

/** sha256 of `fileRel`'s blob at `rev`, or null when it has none there. */
export async function blobSha256At(top: string, rev: string, fileRel: string): Promise<string | null> {
  try {
    const bytes = await gitBuffer(top, ['cat-file', 'blob', `${rev}:${fileRel}`]);
    return createHash('sha256').update(bytes).digest('hex');
  } catch {
    return null;
  }
}

/** The text of `fileRel` at `rev`, or null when it has none there. */
export async function fileAt(top: string, rev: string, fileRel: string): Promise<string | null> {
  try {
    return (await gitBuffer(top, ['cat-file', 'blob', `${rev}:${fileRel}`])).toString('utf8');
  } catch {
    return null;
  }
}

/** The commit a revision names (full hash), or null when it names none. */
export async function resolveCommit(top: string, rev: string): Promise<string | null> {
  if (rev.startsWith('-')) return null;
  try {
    return (await git(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])).trim() || null;
  } catch {
    return null;
  }
}

/** The newest commit reachable from HEAD with a committer date at or before `iso`, or null. */
export async function commitAtDate(top: string, iso: string): Promise<string | null> {
  try {
    return (await git(top, ['log', '-1', '--no-color', '--format=%H', `--before=${iso}`, 'HEAD'])).trim() || null;
  } catch {
    return null;
  }
}

/** The commit's author and dates. */
export async function commitInfo(top: string, rev: string): Promise<CommitRef | null> {
  try {
    const [hash, author, date] = (await git(top, ['log', '-1', '--no-color', `--format=%H${US}%an <%ae>${US}%aI`, rev])).trim().split(US) as [string, string, string];
    return { hash, author, date };
  } catch {
    return null;
  }
}

/** The paths a commit changed (relative to the top), against its first parent. */
export async function changedInCommit(top: string, hash: string): Promise<string[]> {
  try {
    const out = await git(top, ['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', '-z', hash]);
    return out.split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** The commits of `envRel` reachable from `rev` (default HEAD), newest first, parsed as `prompts history` reads them. */
export async function envCommitsFrom(top: string, envRel: string, rev = 'HEAD'): Promise<EnvCommit[]> {
  let out: string;
  try {
    out = await git(top, ['log', '--no-color', `--format=%H${US}%an <%ae>${US}%aI${US}%s${US}%b${RS}`, rev, '--', lit(envRel)]);
  } catch {
    return [];
  }
  const res: EnvCommit[] = [];
  for (const rec of out.split(RS)) {
    const r = rec.replace(/^\n+/, '');
    if (!r.trim()) continue;
    const [hash, author, date, subject, body = ''] = r.split(US) as [string, string, string, string, string?];
    res.push(parseEnvCommit(hash, author, date, subject ?? '', body.trim()));
  }
  return res;
}

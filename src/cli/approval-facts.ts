/**
 * Gathering the git facts the approval rules of core/approval.ts decide on: who committed a
 * version file, which `prompts approve` commit recorded each approval in the env file (and
 * whether it verifies). Shared by promote, rollout start, approve and verify.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Registry } from '../registry/registry.js';
import type { Approval } from '../core/types.js';
import { samePerson, type ApprovalFact } from '../core/approval.js';
import { approveCommits, commitSignature, versionAuthors, type ApproveCommit } from '../git/audit.js';

/** `abs` (a registry path) relative to the work tree's top `top`, as git names it. */
export function topRel(registry: Registry, top: string, abs: string): string {
  const realRoot = fs.realpathSync(registry.root);
  return path.relative(top, path.join(realRoot, path.relative(registry.root, abs))).split(path.sep).join('/');
}

/** The authors of a version file (first: the commit that added it). */
export async function authorsOf(registry: Registry, top: string, id: string, version: string): Promise<{ author: string; hash: string }[]> {
  return versionAuthors(top, topRel(registry, top, registry.versionPath(id, version)));
}

/**
 * Each approval with the `prompts approve` commit that recorded it: the commit of this env file,
 * reachable from HEAD, with that prompt and version, the same sha256 and Approved-at, preferring
 * one authored by the approver; each commit explains one approval. With `signed`, the commits
 * found are verified.
 */
export async function approvalFacts(
  top: string,
  envRel: string,
  o: { env: string; id: string; version: string; approvals: readonly Approval[]; signed: boolean; commits?: ApproveCommit[] },
): Promise<ApprovalFact[]> {
  if (o.approvals.length === 0) return [];
  const all = (o.commits ?? (await approveCommits(top, envRel))).filter((c) => c.env === o.env && c.id === o.id && c.version === o.version);
  const used = new Set<string>();
  const facts: ApprovalFact[] = [];
  for (const a of o.approvals) {
    const fits = all.filter((c) => !used.has(c.hash) && c.sha256 === a.sha256 && c.approvedAt === a.at);
    const c = fits.find((x) => samePerson(x.author, a.by)) ?? fits[0];
    if (!c) {
      facts.push({ approval: a, commit: null });
      continue;
    }
    used.add(c.hash);
    const sig = o.signed ? await commitSignature(top, c.hash) : null;
    facts.push({ approval: a, commit: { hash: c.hash, author: c.author, signature: sig ? sig.status : null, signer: sig?.signer ?? null } });
  }
  return facts;
}

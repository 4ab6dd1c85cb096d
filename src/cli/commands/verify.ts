/**
 * `prompts verify [--env <env>] [--format text|json|markdown]` (SPEC §15): every pin of an
 * environment (every environment without --env) checked end to end: the version file's bytes
 * equal the pinned sha256 and a committed blob; the newest history entry was recorded by a
 * promptrail commit touching the env file alone; the history chain holds; approvals and
 * signatures meet the config; the eval evidence names the suite sha256 the commit had. Exit 1
 * on anything untraceable. Gathers the git facts (git/audit.ts); the checks are core/audit.ts.
 */
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry, type Registry } from '../../registry/registry.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { sha256 } from '../../registry/files.js';
import { CHECKS, pinningEntry, startOfCompleted, verifyPinChecks, type Check, type CommitFact, type PinFacts } from '../../core/audit.js';
import { approvalRules, approvalsOf, type ApprovalRuleInput } from '../../core/approval.js';
import { mergeHistory } from '../../core/history.js';
import type { EnvPin, HistoryEntry } from '../../core/types.js';
import { termSafe } from '../reporters/eval-text.js';
import { mdText } from '../reporters/eval-markdown.js';
import { approvalFacts, topRel } from '../approval-facts.js';

export interface VerifyOptions {
  env?: string;
  format?: string;
}

export interface PinReport {
  env: string;
  id: string;
  version: string;
  ok: boolean;
  checks: Check[];
}

export async function run(ctx: CommandContext, _args: string[], opts: VerifyOptions): Promise<number> {
  const format = opts.format ?? (ctx.json ? 'json' : 'text');
  if (!['text', 'json', 'markdown'].includes(format)) throw new UsageError(`--format "${format}" is not one of text, json, markdown`);
  const registry = openRegistry(ctx.cwd);
  if (opts.env !== undefined) registry.assertEnv(opts.env);
  const envs = opts.env ? [opts.env] : registry.config.environmentOrder;
  const { gitTopLevel } = await import('../../git/repo.js');
  const top = await gitTopLevel(registry.root);
  const reports: PinReport[] = [];
  for (const env of envs) reports.push(...(await verifyEnv(registry, env, top)));
  const ok = reports.every((r) => r.ok);
  const doc = { ok, git: top !== null, environments: envs, pins: reports };
  if (format === 'json') writeJson(ctx, doc);
  else if (format === 'markdown') ctx.stdout.write(renderMarkdown(reports, ok));
  else ctx.stdout.write(await renderText(ctx, reports, ok));
  return ok ? 0 : 1;
}

async function verifyEnv(registry: Registry, env: string, top: string | null): Promise<PinReport[]> {
  const snap = readEnvSnapshot(registry, env);
  const cfg = registry.config.environments[env] ?? {};
  const rules = approvalRules(cfg.approvals);
  const audit = await import('../../git/audit.js');
  const envTopRel = top ? topRel(registry, top, snap.file) : snap.rel;
  const commits = top ? await audit.envCommitsFrom(top, envTopRel) : [];
  const approveCommits = top && rules.required > 0 ? await audit.approveCommits(top, envTopRel) : [];
  const out: PinReport[] = [];
  const facts = async (hash: string | null): Promise<CommitFact | null> => (hash && top ? { hash, author: (await audit.commitInfo(top, hash))?.author ?? '', changed: await audit.changedInCommit(top, hash) } : null);
  const commitOf = (id: string, e: HistoryEntry | undefined): string | null => {
    if (!e) return null;
    const row = mergeHistory(id, [{ env, entries: [e] }], commits).find((r) => r.source !== 'git');
    return row?.commit?.hash ?? null;
  };
  for (const id of Object.keys(snap.value.prompts).sort()) {
    const pin = snap.value.prompts[id] as EnvPin;
    const versionFile = registry.versionPath(id, pin.version);
    const versionRel = registry.rel(versionFile);
    const diskSha = (f: string): string | null => (fs.existsSync(f) ? sha256(fs.readFileSync(f)) : null);
    const candidateFile = pin.rollout ? registry.versionPath(id, pin.rollout.version) : null;
    const pinning = pinningEntry(pin);
    const newestHash = commitOf(id, pin.history[0]);
    const pinningHash = pinning ? commitOf(id, pinning.entry) : null;
    let approvals: ApprovalRuleInput | null = null;
    if (rules.required > 0 && pinning && pinning.entry.action !== 'rollback' && top) {
      // a completed rollout was approved when it started: the promoter is who started it
      const decided = pinning.entry.action === 'rollout-complete' ? (startOfCompleted(pin, pinning.index) ?? pinning.entry) : pinning.entry;
      approvals = {
        id,
        version: pin.version,
        env,
        sha256: pin.sha256,
        required: rules.required,
        signed: rules.signed,
        authors: (await audit.versionAuthors(top, topRel(registry, top, versionFile))).map((a) => a.author),
        promoter: decided.by,
        facts: await approvalFacts(top, envTopRel, { env, id, version: pin.version, approvals: approvalsOf(snap.value, id, pin.version), signed: rules.signed, commits: approveCommits }),
        inGit: true,
      };
    }
    const f: PinFacts = {
      env,
      id,
      pin,
      envRel: snap.rel,
      versionRel,
      envTopRel,
      fileSha: diskSha(versionFile),
      headSha: top ? await audit.blobSha256At(top, 'HEAD', topRel(registry, top, versionFile)) : null,
      candidate: candidateFile
        ? { rel: registry.rel(candidateFile), fileSha: diskSha(candidateFile), headSha: top ? await audit.blobSha256At(top, 'HEAD', topRel(registry, top, candidateFile)) : null }
        : null,
      inGit: top !== null,
      newestCommit: await facts(newestHash),
      pinningCommit: await facts(pinningHash),
      required: rules.required,
      signed: rules.signed,
      gated: cfg.gate !== undefined,
      approvals,
      signature: rules.signed && top && pinningHash ? await audit.commitSignature(top, pinningHash) : null,
      suiteShaAtCommit: top && pinningHash ? await audit.blobSha256At(top, pinningHash, topRel(registry, top, registry.suitePath(id))) : null,
    };
    const checks = verifyPinChecks(f);
    out.push({ env, id, version: pin.version, ok: checks.every((c) => c.status !== 'fail'), checks });
  }
  return out;
}

async function renderText(ctx: CommandContext, reports: PinReport[], ok: boolean): Promise<string> {
  const c = await ctx.c();
  if (reports.length === 0) return 'nothing pinned: nothing to verify\n';
  const out: string[] = [];
  for (const r of reports) {
    out.push(`${r.ok ? c.green('ok  ') : c.red('FAIL')}  ${r.env}  ${c.bold(termSafe(r.id))}@${r.version}`);
    for (const ch of r.checks) {
      const mark = ch.status === 'ok' ? c.green('✓') : ch.status === 'fail' ? c.red('✗') : c.dim('-');
      out.push(`      ${mark} ${ch.name.padEnd(10)} ${termSafe(ch.detail)}`);
    }
  }
  const bad = reports.filter((r) => !r.ok).length;
  out.push(ok ? `${reports.length} pin${reports.length === 1 ? '' : 's'} verified` : `${bad} of ${reports.length} pin${reports.length === 1 ? '' : 's'} untraceable`);
  return `${out.join('\n')}\n`;
}

function renderMarkdown(reports: PinReport[], ok: boolean): string {
  const mark = (s: Check['status']): string => (s === 'ok' ? '✅' : s === 'fail' ? '❌' : '—');
  const lines = [`### prompts verify: ${ok ? 'every pin traceable' : 'untraceable pins'}`, '', `| environment | prompt | version | ${CHECKS.join(' | ')} |`, `|---|---|---|${CHECKS.map(() => '---').join('|')}|`];
  for (const r of reports) {
    lines.push(`| ${mdText(r.env)} | ${mdText(r.id)} | ${mdText(r.version)} | ${CHECKS.map((n) => mark(r.checks.find((ch) => ch.name === n)?.status ?? 'skip')).join(' | ')} |`);
  }
  const problems = reports.flatMap((r) => r.checks.filter((ch) => ch.status === 'fail').map((ch) => `- **${mdText(r.env)}** ${mdText(r.id)}&#64;${mdText(r.version)}: ${ch.name}: ${mdText(ch.detail)}`));
  if (problems.length) lines.push('', ...problems);
  return `${lines.join('\n')}\n`;
}

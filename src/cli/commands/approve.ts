/**
 * `prompts approve <id>@<version> --env <env> [--reason <text>] [--push] [--dry-run]`: records
 * an approval of the version's exact bytes in the environment file, as one commit (SPEC §15).
 * options → gather (the version file's bytes and authors, the whole env file, this prompt's
 * pins) → core plan (core/approval.ts planApprove) → the one apply path → report.
 *
 * There is no --no-commit: an approval is evidence only as a commit by the approver (promote
 * counts approvals through the commits that recorded them), so one that is not committed would
 * count for nothing.
 */
import type { CommandContext } from '../ui.js';
import { CheckFailed, UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { readEnvView, pinsOf } from '../../registry/env-view.js';
import { parseRef } from '../../core/ref.js';
import { isoSeconds } from '../../core/env-change.js';
import { approvalRules, planApprove } from '../../core/approval.js';
import { applyPlan, forRegistry, preflight, startGitProbe } from '../../apply/index.js';
import { decided, gitChecked, pinnableVersion, reportApplied, reportDryRun } from '../env-command.js';
import { authorsOf } from '../approval-facts.js';

export interface ApproveOptions {
  env: string;
  reason?: string;
  push?: boolean;
  dryRun?: boolean;
}

export async function run(ctx: CommandContext, args: string[], opts: ApproveOptions): Promise<number> {
  const raw = args[0] ?? '';
  const { env, push = false } = opts;
  const reason = opts.reason?.trim() || null;
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  const ref = parseRef(raw);
  if ('problem' in ref) throw new UsageError(ref.problem, { hint: 'approve takes <id>@<version>' });
  if (ref.selector.kind !== 'version') throw new UsageError(`approve takes <id>@<version>, not "${raw}": an approval is of one version's exact bytes`, { hint: `e.g. prompts approve ${ref.id}@1.2.0 --env ${env}` });

  // gather
  const early = startGitProbe(ctx.cwd, ctx.env);
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = forRegistry(early, ctx.cwd, registry.root, ctx.env);
  const versions = registry.assertPromptExists(ref.id);
  const version = ref.selector.version;
  if (!versions.includes(version)) throw new UsageError(`prompt "${ref.id}" has no version ${version}`, { hint: `versions: ${versions.join(', ')}` });
  const snap = readEnvView(registry, env, null);
  const gitP = preflight(registry, { probe, envFile: snap.file, pinnedFile: registry.versionPath(ref.id, version), commit: true, push });
  gitP.catch(() => undefined);
  const pinnable = pinnableVersion(registry, ref.id, version);
  const git = await gitChecked(ctx, gitP);
  if (!git.repo) {
    throw new CheckFailed(`refused: ${registry.root} is not in a git repository; an approval is a git commit by the approver`, { hint: 'approve in the registry\'s git repository' });
  }
  const p = await probe;
  if (!/<[^<>@\s]+@[^<>\s]+>$/.test(p.by)) {
    throw new UsageError(`cannot approve as "${p.by}": an approver is a git identity with an e-mail`, { hint: 'set it: git config user.name "Your Name" && git config user.email you@example.com' });
  }
  const authors = await authorsOf(registry, git.repo.top, ref.id, version);

  // plan
  const plan = decided(
    ctx,
    planApprove({
      id: ref.id,
      version,
      env,
      file: snap.rel,
      versionFile: pinnable.rel,
      sha256: pinnable.sha256,
      by: p.by,
      at: isoSeconds(new Date()),
      reason,
      authors,
      target: snap.value,
      pins: pinsOf(registry, ref.id, new Map([[env, snap.value]])),
      signed: approvalRules(registry.config.environments[env]?.approvals).signed,
    }),
  );
  if (opts.dryRun) return reportDryRun(ctx, plan, git, push);

  // apply, report
  const result = await applyPlan(plan, { registry, io: ctx, snap, git, label: `prompts approve ${ref.id}@${version} --env ${env}` });
  return reportApplied(ctx, plan, result, git);
}

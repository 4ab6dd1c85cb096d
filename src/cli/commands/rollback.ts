/**
 * `prompts rollback <id> --env <env> [--to <version>]`: the emergency path. No gate, but the
 * restored file must still exist with the bytes recorded when it was pinned, and the rollback
 * is recorded in history and committed like a promotion. options → gather → core plan → apply.
 */
import type { CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { pinsOf, readEnvView } from '../../registry/env-view.js';
import { idProblem, isStrictSemver } from '../../core/ref.js';
import { isoSeconds } from '../../core/env-change.js';
import { selectRollback, planRollback } from '../../core/rollback.js';
import { applyPlan, forRegistry, preflight, startGitProbe } from '../../apply/index.js';
import { allDepRecords, decided, noChange, gitChecked, reportApplied, reportDryRun, restorableVersion } from '../env-command.js';

export interface RollbackOptions {
  env: string;
  to?: string;
  reason?: string;
  /** false with --no-commit */
  commit: boolean;
  push?: boolean;
  dryRun?: boolean;
}

export async function run(ctx: CommandContext, args: string[], opts: RollbackOptions): Promise<number> {
  const id = args[0] ?? '';
  const { env, to, commit = true, push = false } = opts;
  const reason = opts.reason?.trim() || null;
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  if (push && !commit) throw new UsageError('--push needs a commit; drop --no-commit or --push');
  const idp = idProblem(id);
  if (idp) throw new UsageError(`invalid prompt id "${id}": ${idp}`, { hint: 'rollback takes a prompt id (no @version; use --to <version>)' });
  if (to !== undefined && !isStrictSemver(to)) throw new UsageError(`--to "${to}" is not a strict semver version (expected e.g. 1.2.0)`);

  // gather (git's first calls start now and run while the files are read)
  const early = startGitProbe(ctx.cwd, ctx.env);
  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = forRegistry(early, ctx.cwd, registry.root, ctx.env);
  const versions = registry.assertPromptExists(id);
  const snap = readEnvView(registry, env, id);
  const choice = decided(ctx, selectRollback({ id, env, target: snap.value, targetRel: snap.rel, to, versions }));
  if (choice.kind === 'noop') return noChange(ctx, registry, choice, { probe, envFile: snap.file, push: push && !opts.dryRun });
  const restored = restorableVersion(registry, id, choice.version);

  // plan
  const plan = decided(
    ctx,
    planRollback({
      choice, reason,
      file: snap.rel, versionFile: restored.rel, sha256: restored.sha256,
      deps: restored.deps, depRecords: allDepRecords(registry, restored.deps),
      pins: pinsOf(registry, id, new Map([[env, snap.value]])),
      at: isoSeconds(new Date()), by: (await probe).by, historyLimit: registry.config.history_limit,
    }),
  );
  const git = await gitChecked(ctx, preflight(registry, { probe, envFile: snap.file, pinnedFile: restored.file, pinnedDeps: restored.depFiles, commit, push }));
  if (opts.dryRun) return reportDryRun(ctx, plan, git, push);

  // apply, report
  const result = await applyPlan(plan, { registry, io: ctx, snap, git, label: `prompts rollback ${id} --env ${env}` });
  return reportApplied(ctx, plan, result, git);
}

/**
 * `prompts rollback <id> --env <env> [--to <version>]`: the emergency path. No gate, but the
 * restored file must still exist with the bytes recorded when it was pinned, and the rollback
 * is recorded in history and committed like a promotion.
 */
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { CheckFailed, UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { idProblem, isStrictSemver } from '../../core/ref.js';
import { planRollback, applyRollback, recheckRollback, type RollbackPlan } from '../../core/rollback.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { prepareGit, applyChange, nowIso, probeGit } from '../../registry/env-transaction.js';
import { sha256 } from '../../registry/files.js';
import { commitSubject, commitBody, shortHash } from '../env-messages.js';

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const id = args[0] ?? '';
  const env = String(opts.env ?? '');
  const to = typeof opts.to === 'string' ? opts.to : undefined;
  const reason = typeof opts.reason === 'string' ? opts.reason.trim() : undefined;
  const doCommit = opts.commit !== false;
  const push = Boolean(opts.push);
  const dryRun = Boolean(opts.dryRun);
  if (opts.reason !== undefined && !reason) throw new UsageError('--reason must not be empty');
  if (push && !doCommit) throw new UsageError('--push needs a commit; drop --no-commit or --push');
  const idp = idProblem(id);
  if (idp) throw new UsageError(`invalid prompt id "${id}": ${idp}`, { hint: 'rollback takes a prompt id (no @version; use --to <version>)' });
  if (to !== undefined && !isStrictSemver(to)) throw new UsageError(`--to "${to}" is not a strict semver version (expected e.g. 1.2.0)`);

  const registry = openRegistry(ctx.cwd);
  registry.assertEnv(env);
  const probe = probeGit(registry.root, ctx.env);
  probe.catch(() => undefined); // awaited later; a refusal before then must not leave it unhandled
  const versions = registry.assertPromptExists(id);
  const snap = readEnvSnapshot(registry, env);
  if (to !== undefined && !versions.includes(to)) {
    // a version that exists nowhere (no file, never recorded) is a usage error like any unknown version
    const pin = snap.value.prompts[id];
    const recordedHere = pin !== undefined && (pin.version === to || pin.previous === to || pin.history.some((h) => h.version === to || h.from === to));
    if (!recordedHere) throw new UsageError(`prompt "${id}" has no version ${to}`, { hint: `versions: ${versions.join(', ')}` });
  }
  const decision = planRollback({ id, env, target: snap.value, to });
  if (decision.kind === 'noop') {
    if (ctx.json) writeJson(ctx, { ok: true, action: 'none', id, env, version: decision.version, message: 'already active' });
    else ctx.stdout.write(`${id}@${decision.version} is already the active version in ${env}; nothing to do\n`);
    return 0;
  }
  const plan: RollbackPlan = decision;

  // the restored bytes must be the bytes that were pinned
  const file = registry.versionPath(id, plan.version);
  if (!fs.existsSync(file)) {
    throw new CheckFailed(`cannot roll back ${id} in "${env}" to ${plan.version}: ${registry.rel(file)} no longer exists`, {
      hint: `restore it from git ("git checkout <commit> -- ${registry.rel(file)}"), or roll back --to another version`,
    });
  }
  const digest = sha256(fs.readFileSync(file));
  const recorded = new Set<string>();
  if (plan.recordedSha256) recorded.add(plan.recordedSha256);
  for (const e of registry.config.environmentOrder) {
    if (e === env) continue;
    let other;
    try {
      other = readEnvSnapshot(registry, e).value.prompts[id];
    } catch {
      continue; // a broken other env file is `validate`'s business, not a reason to block an emergency rollback
    }
    if (other?.version === plan.version) recorded.add(other.sha256);
  }
  if (recorded.size > 0 && !recorded.has(digest)) {
    throw new CheckFailed(`cannot roll back ${id} in "${env}" to ${plan.version}: ${registry.rel(file)} changed since it was pinned (sha256 ${digest.slice(0, 12)}…, recorded ${[...recorded].map((s) => `${s.slice(0, 12)}…`).join(', ')})`, {
      location: { file: registry.rel(file) },
      hint: 'version files are immutable; restore the original bytes from git, or roll back --to another version',
    });
  }
  const gitc = await prepareGit(registry, { envFile: snap.file, versionFile: file, commit: doCommit, push, ctx, probe });

  if (dryRun) {
    if (ctx.json) {
      writeJson(ctx, { ok: true, dryRun: true, action: 'rollback', id, env, from: plan.from, to: plan.version, previous: plan.previous, sha256: digest, reason: reason ?? null, file: snap.rel, commit: gitc.repo !== null, push });
    } else {
      const lines = [
        `would roll back ${id} ${plan.from} -> ${plan.version} in ${env}`,
        `  previous becomes: ${plan.previous ?? 'none (the chain ends here)'}`,
        `  file:   ${snap.rel}`,
        `  sha256: ${digest}`,
        `  commit: ${gitc.repo ? `yes${push ? ', then push' : ''}` : 'no'}`,
      ];
      if (reason) lines.push(`  reason: ${reason}`);
      ctx.stdout.write(`${lines.join('\n')}\n(dry run: nothing written)\n`);
    }
    return 0;
  }

  const rec = { sha256: digest, at: nowIso(), by: gitc.by, reason };
  const result = await applyChange<RollbackPlan>({
    registry,
    ctx,
    snap,
    plan,
    gitc,
    recheck: recheckRollback,
    apply: (fresh, p) => applyRollback(fresh, p, rec, registry.config.history_limit),
    subject: (p) => commitSubject('rollback', env, p.id, p.from, p.version),
    body: commitBody({ reason, id, version: plan.version, sha256: digest }),
    commandLabel: `prompts rollback ${id} --env ${env}`,
  });
  if (ctx.json) {
    writeJson(ctx, { ok: true, action: 'rollback', id, env, from: plan.from, to: plan.version, previous: plan.previous, sha256: digest, reason: reason ?? null, file: snap.rel, commit: result.commit, pushed: result.pushed });
  } else {
    const where = result.commit ? ` (commit ${shortHash(result.commit)}${result.pushed ? ', pushed' : ''})` : gitc.repo ? '' : ' (no commit)';
    ctx.stdout.write(`rolled back ${id} ${plan.from} -> ${plan.version} in ${env}${where}\n`);
    ctx.info(`previous is now ${plan.previous ?? 'none'}${plan.previous ? ` (another rollback goes to ${plan.previous})` : ' (nothing further to roll back)'}`);
  }
  return 0;
}

/**
 * `prompts hook install [--force]`: writes an executable pre-commit hook running
 * `prompts validate --staged` for this registry (which may be a sub-folder of the repository).
 * A hook that promptrail did not write is never overwritten without --force (exit 2); with
 * --force it is moved to `pre-commit.before-promptrail` and chained: ours runs it after a
 * passing validate (its exit status is the commit's), so nothing it checked is disabled.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../errors.js';
import { writeJson, type CommandContext } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { writeFileAtomic } from '../../registry/files.js';
import { gitTopLevel } from '../../git/repo.js';
import { hookScript, hooksDir, planHookInstall } from '../../git/hooks.js';

export interface HookInstallOptions {
  /** --force: replace a hook promptrail did not write (kept as pre-commit.before-promptrail) */
  force?: boolean;
}

export async function run(ctx: CommandContext, _args: string[], opts: HookInstallOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const top = await gitTopLevel(reg.root);
  if (!top) {
    throw new UsageError(`the registry ${reg.root} is not in a git repository, so there is no pre-commit hook to install`, {
      hint: 'run "git init" first; in CI run "prompts validate" directly',
    });
  }
  const realTop = fs.realpathSync(top);
  const registryRel = path.relative(realTop, fs.realpathSync(reg.root));
  const dir = await hooksDir(reg.root);
  const file = path.join(dir, 'pre-commit');
  // A hooks folder inside the work tree (core.hooksPath=.githooks, husky) is usually committed and
  // shared: no machine-specific fallback path in it then.
  const dirReal = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  const dirRel = path.relative(realTop, dirReal);
  const inWorkTree = !dirRel.startsWith('..') && !path.isAbsolute(dirRel) && dirRel.split(path.sep)[0] !== '.git';
  const cli = inWorkTree ? null : undefined;
  const plan = planHookInstall(file, (previous) => hookScript(registryRel, cli, previous), Boolean(opts.force));
  const { script } = plan;
  const shown = path.relative(realTop, file).startsWith('..') ? file : path.relative(realTop, file).split(path.sep).join('/');

  if (plan.foreign && !plan.backup) {
    throw new UsageError(`${shown} already exists and was not written by promptrail; not overwriting it`, {
      hint: 'add "prompts validate --staged" to that hook yourself, or run "prompts hook install --force" (the old hook is kept as pre-commit.before-promptrail and runs after promptrail\'s check)',
    });
  }
  if (plan.action !== 'unchanged') {
    const dirStat = fs.existsSync(dir) ? fs.statSync(dir) : undefined;
    if (dirStat && !dirStat.isDirectory()) throw new UsageError(`the hooks path ${dir} is not a folder`);
    if (plan.backup) fs.renameSync(file, plan.backup);
    writeFileAtomic(file, script, { mode: 0o755 });
    fs.chmodSync(file, 0o755);
  }

  if (ctx.json) {
    writeJson(ctx, { ok: true, hook: file, action: plan.action, backup: plan.backup ?? null, chained: plan.chained === null ? null : path.join(dir, plan.chained), registry: registryRel.split(path.sep).join('/') || '.' });
    return 0;
  }
  const what = { installed: 'installed', updated: 'updated', unchanged: 'already up to date:', replaced: 'replaced' }[plan.action];
  ctx.info(`${what} pre-commit hook ${shown}: runs "prompts validate --staged"${registryRel ? ` in ${registryRel.split(path.sep).join('/')}` : ''}`);
  if (plan.backup) ctx.info(`the previous hook was moved to ${plan.backup}; it runs after promptrail's check passes`);
  else if (plan.chained) ctx.info(`still chained: ${path.join(dir, plan.chained)} runs after promptrail's check passes`);
  return 0;
}

/** `prompts history <id> [--env <env>]`: env-file history merged with `git log` of the env files. */
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { idProblem } from '../../core/ref.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { envFileHistory } from '../../git/log.js';
import { mergeHistory } from '../../core/history.js';
import { renderHistoryText } from '../reporters/history-text.js';
import { own } from '../../core/own.js';

export interface HistoryOptions {
  /** only this environment */
  env?: string;
  /** --at <date|rev>: every pin of --env as of that moment (history-at.ts) */
  at?: string;
}

export async function run(ctx: CommandContext, args: string[], opts: HistoryOptions): Promise<number> {
  const given = args[0];
  if (opts.at !== undefined) {
    if (opts.env === undefined) throw new UsageError('--at needs --env <env>: it shows every pin of one environment as of that moment');
    if (given !== undefined && idProblem(given)) throw new UsageError(`invalid prompt id "${given}": ${idProblem(given)}`);
    const registry = openRegistry(ctx.cwd);
    registry.assertEnv(opts.env);
    const { runAt } = await import('./history-at.js');
    return runAt(ctx, registry, opts.env, opts.at, given);
  }
  const id = given ?? '';
  if (given === undefined) throw new UsageError('history needs a prompt id (or --env <env> --at <date|rev> for every pin as of a moment)');
  const p = idProblem(id);
  if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`);
  const registry = openRegistry(ctx.cwd);
  const only = opts.env;
  if (only !== undefined) registry.assertEnv(only);
  const envNames = only ? [only] : registry.config.environmentOrder;
  const snaps = envNames.map((e) => readEnvSnapshot(registry, e));
  const envs = snaps.map((s) => ({ env: s.env, entries: own(s.value.prompts, id)?.history ?? [] }));
  const pinnedSomewhere = envs.some((e) => e.entries.length > 0);

  const git = await envFileHistory(registry.root, snaps.map((s) => s.file));
  const rows = mergeHistory(id, envs, git?.commits ?? []);
  if (rows.length === 0 && !pinnedSomewhere && registry.listVersions(id).length === 0) {
    registry.assertPromptExists(id); // unknown prompt: exit 2 with did-you-mean
  }
  const shallow = git?.shallow ?? false;
  if (ctx.json) writeJson(ctx, { id, environments: envNames, git: git !== null, shallow, entries: rows });
  else {
    ctx.stdout.write(renderHistoryText(id, rows, await ctx.c(), { shallow }));
    if (!git) ctx.info('note: not a git repository; showing the environment files\' history only');
    else if (shallow && rows.some((r) => r.commit === null)) {
      ctx.info('note: this is a shallow clone: commits older than its depth are not here ("git fetch --unshallow" for the full trail)');
    }
  }
  return 0;
}

/** `prompts history <id> [--env <env>]`: env-file history merged with `git log` of the env files. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { idProblem } from '../../core/ref.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { repoInfo } from '../../git/repo.js';
import { envCommits } from '../../git/log.js';
import { mergeHistory } from '../../core/history.js';
import { renderHistoryText } from '../reporters/history-text.js';

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const id = args[0] ?? '';
  const p = idProblem(id);
  if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`);
  const registry = openRegistry(ctx.cwd);
  const only = typeof opts.env === 'string' ? opts.env : undefined;
  if (only !== undefined) registry.assertEnv(only);
  const envNames = only ? [only] : registry.config.environmentOrder;
  const snaps = envNames.map((e) => readEnvSnapshot(registry, e));
  const envs = snaps.map((s) => ({ env: s.env, entries: s.value.prompts[id]?.history ?? [] }));
  const pinnedSomewhere = envs.some((e) => e.entries.length > 0);

  const repo = await repoInfo(registry.root);
  let commits: Awaited<ReturnType<typeof envCommits>> = [];
  if (repo) {
    const realRoot = fs.realpathSync(registry.root);
    const rels = snaps.map((s) => path.relative(repo.top, path.join(realRoot, path.relative(registry.root, s.file))).split(path.sep).join('/'));
    commits = await envCommits(repo.top, rels);
  }
  const rows = mergeHistory(id, envs, commits);
  if (rows.length === 0 && !pinnedSomewhere && registry.listVersions(id).length === 0) {
    registry.assertPromptExists(id); // unknown prompt: exit 2 with did-you-mean
  }
  const shallow = repo?.shallow ?? false;
  if (ctx.json) writeJson(ctx, { id, environments: envNames, git: repo !== null, shallow, entries: rows });
  else {
    ctx.stdout.write(renderHistoryText(id, rows, await ctx.c(), { shallow }));
    if (!repo) ctx.info('note: not a git repository; showing the environment files\' history only');
    else if (shallow && rows.some((r) => r.commit === null)) {
      ctx.info('note: this is a shallow clone: commits older than its depth are not here ("git fetch --unshallow" for the full trail)');
    }
  }
  return 0;
}

/**
 * `prompts validate [paths...] [--staged] [--base <rev>] [--format text|json|github|junit] [--no-cache]`
 * Runs every check (src/validate/), prints the report in the chosen format and returns
 * 0 (no errors; warnings allowed), 1 (errors), 2 (usage or config errors).
 */
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { CONFIG_FILE, findRoot } from '../../paths.js';
import { packageVersion } from '../../version.js';
import { runValidate } from '../../validate/engine.js';
import { pickReporter } from '../formats.js';
import { validateReporters } from '../reporters/validate/index.js';

export interface ValidateOptions {
  staged?: boolean;
  base?: string;
  /** text | json | github | junit (default text) */
  format?: string;
  /** false with --no-cache */
  cache: boolean;
}

export async function run(ctx: CommandContext, paths: string[], opts: ValidateOptions): Promise<number> {
  const report = pickReporter(validateReporters, opts.format, ctx, 'validate');
  const { base } = opts;
  if (base !== undefined && base.trim() === '') throw new UsageError('--base needs a revision (e.g. --base origin/main)');
  const cwd = path.resolve(ctx.cwd);
  const root = findRoot(cwd);
  if (!root) {
    throw new UsageError(`no promptrail registry found in ${cwd} or any parent folder (looked for ${CONFIG_FILE})`, {
      hint: 'run "prompts init" to create one here, or pass -C <dir>',
    });
  }
  const result = await runValidate({
    root,
    cwd,
    paths,
    staged: Boolean(opts.staged),
    base,
    cache: opts.cache,
    toolVersion: packageVersion(),
    debug: ctx.verbose ? (m) => ctx.warn(m) : undefined,
    onIgnoredPath: (p) => ctx.info(`note: ignoring ${p}: it is outside the registry at ${root}`),
    workers: ctx.env.PROMPTRAIL_WORKERS !== undefined ? Number(ctx.env.PROMPTRAIL_WORKERS) || 0 : 'auto',
  });
  await report(ctx, {
    result,
    repoPrefix: async () => {
      const { gitTopLevel } = await import('../../git/run.js');
      const top = await gitTopLevel(root);
      return top ? path.relative(top, root).split(path.sep).join('/') : '';
    },
  });
  if (result.configError) return 2;
  return result.ok ? 0 : 1;
}

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

const FORMATS = ['text', 'json', 'github', 'junit'] as const;
type Format = (typeof FORMATS)[number];

export async function run(ctx: CommandContext, args: string[], opts: Record<string, unknown>): Promise<number> {
  const requested = typeof opts.format === 'string' ? opts.format : 'text';
  if (!(FORMATS as readonly string[]).includes(requested)) {
    throw new UsageError(`unknown format "${requested}" for validate`, { hint: `use one of: ${FORMATS.join(', ')}` });
  }
  const format: Format = ctx.json ? 'json' : (requested as Format);
  const base = opts.base;
  if (base !== undefined && (typeof base !== 'string' || base.trim() === '')) throw new UsageError('--base needs a revision (e.g. --base origin/main)');
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
    paths: args,
    staged: Boolean(opts.staged),
    base: typeof base === 'string' ? base : undefined,
    cache: opts.cache !== false,
    toolVersion: packageVersion(),
    debug: ctx.verbose ? (m) => ctx.warn(m) : undefined,
    onIgnoredPath: (p) => ctx.info(`note: ignoring ${p}: it is outside the registry at ${root}`),
    workers: ctx.env.PROMPTRAIL_WORKERS !== undefined ? Number(ctx.env.PROMPTRAIL_WORKERS) || 0 : 'auto',
  });

  switch (format) {
    case 'json': {
      const { renderJson } = await import('../reporters/validate/json.js');
      ctx.stdout.write(renderJson(result));
      break;
    }
    case 'github': {
      const { renderGithub } = await import('../reporters/validate/github.js');
      const { summaryLine } = await import('../reporters/validate/text.js');
      const { gitTopLevel } = await import('../../git/run.js');
      const top = await gitTopLevel(root);
      const prefix = top ? path.relative(top, root).split(path.sep).join('/') : '';
      ctx.stdout.write(renderGithub(result, prefix));
      ctx.info(summaryLine(result));
      break;
    }
    case 'junit': {
      const { renderJunit } = await import('../reporters/validate/junit.js');
      ctx.stdout.write(renderJunit(result, result.promptsDir));
      break;
    }
    default: {
      const { renderText, plainColors } = await import('../reporters/validate/text.js');
      const text = renderText(result, ctx.color ? await ctx.c() : plainColors);
      if (ctx.quiet && result.errors.length === 0) break;
      ctx.stdout.write(text);
    }
  }
  if (result.configError) return 2;
  return result.ok ? 0 : 1;
}

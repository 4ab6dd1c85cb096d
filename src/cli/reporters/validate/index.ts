/** validate's reporters by --format: text (grouped, colored), json (SPEC §8), github (annotations), junit. */
import type { Reporter } from '../../formats.js';
import type { ValidateResult } from '../../../validate/problem.js';

export interface ValidateReport {
  result: ValidateResult;
  /** the registry's folder relative to the top of its git repository ('' there or outside git), for annotations */
  repoPrefix(): Promise<string>;
}

export const validateReporters = {
  async text(ctx, { result }) {
    const { renderText, plainColors } = await import('./text.js');
    // quiet when ok and asked to be, or when a commit touched no registry file (the hook stays silent)
    if ((ctx.quiet || result.untouched) && result.errors.length === 0) return;
    ctx.stdout.write(renderText(result, ctx.color ? await ctx.c() : plainColors));
  },
  async json(ctx, { result }) {
    const { renderJson } = await import('./json.js');
    ctx.stdout.write(renderJson(result));
  },
  async github(ctx, { result, repoPrefix }) {
    const [{ renderGithub }, { summaryLine }] = await Promise.all([import('./github.js'), import('./text.js')]);
    ctx.stdout.write(renderGithub(result, await repoPrefix()));
    ctx.info(summaryLine(result));
  },
  async junit(ctx, { result }) {
    const { renderJunit } = await import('./junit.js');
    ctx.stdout.write(renderJunit(result, result.promptsDir));
  },
} satisfies Record<string, Reporter<ValidateReport>>;

/** diff's reporters by --format: text (colored), markdown (ready to post as a PR comment), json. */
import type { Reporter } from '../../formats.js';
import type { PromptDiff } from '../../../core/diff.js';
import { renderDiffText } from './text.js';
import { renderDiffMarkdown } from './markdown.js';
import { renderDiffJson } from './json.js';

export const diffReporters = {
  async text(ctx, d) {
    ctx.stdout.write(renderDiffText(d, await ctx.c(), ctx.color));
  },
  async markdown(ctx, d) {
    ctx.stdout.write(renderDiffMarkdown(d));
  },
  async json(ctx, d) {
    ctx.stdout.write(renderDiffJson(d));
  },
} satisfies Record<string, Reporter<PromptDiff>>;

/**
 * `prompts diff <ref> [<ref>] [--format text|markdown|json]`: one ref = that version against its
 * predecessor (default: latest); two refs = first -> second. `<id>@<env>` works, so
 * `diff x@staging x@production` shows what a promotion changes. Appends the markdown to
 * $GITHUB_STEP_SUMMARY under GitHub Actions.
 */
import { appendStepSummary, type CommandContext } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { refPlace, resolveRef, type ResolvedRef } from '../../registry/resolve-ref.js';
import { diffPrompts } from '../../core/diff.js';
import { renderDiffMarkdown } from '../reporters/diff/markdown.js';
import { own } from '../../core/own.js';
import { diffReporters } from '../reporters/diff/index.js';
import { pickReporter } from '../formats.js';
import type { PromptFile } from '../../core/types.js';
import { applyOverrides } from '../../core/render.js';
import { registryLoader, resolveVersion } from '../../registry/resolved.js';
import type { TemplateLibrary } from '../../core/partials.js';

export interface DiffOptions {
  /** text | markdown | json (default text) */
  format?: string;
}

export async function run(ctx: CommandContext, args: string[], opts: DiffOptions): Promise<number> {
  const report = pickReporter(diffReporters, opts.format, ctx, 'diff');
  const registry = openRegistry(ctx.cwd);
  const [refA, refB] = args;
  let from: ResolvedRef;
  let to: ResolvedRef;
  if (refB !== undefined) {
    from = resolveRef(registry, refA ?? '');
    to = resolveRef(registry, refB);
  } else {
    to = resolveRef(registry, refA ?? '');
    const versions = registry.listVersions(to.id);
    const prev = versions[versions.indexOf(to.version) - 1];
    if (prev === undefined) {
      throw new UsageError(`${to.id}@${to.version} has no earlier version to compare with`, { hint: `name two refs: "prompts diff ${to.id}@<a> ${to.id}@<b>"` });
    }
    from = { id: to.id, version: prev, file: registry.versionPath(to.id, prev) };
  }
  // each side resolved (extends applied, its partials), so the diff shows the resolved change and
  // which partial caused it; an <id>@<env> side is compared as that environment runs it: its
  // overrides.model applied, so `diff x@staging x@production` shows a parameter difference even
  // when both pin one version
  const loader = registryLoader(registry);
  const asRun = (ref: ResolvedRef): { prompt: PromptFile; library: TemplateLibrary } => {
    const { resolved } = resolveVersion(registry, { id: ref.id, version: ref.version }, loader);
    const p = resolved.prompt;
    return { prompt: ref.via && p.model ? { ...p, model: applyOverrides(p.model, own(registry.config.environments, ref.via)) } : p, library: resolved.library };
  };
  const a = asRun(from);
  const b = asRun(to);
  const d = diffPrompts(a.prompt, b.prompt, { from: refPlace(from) ?? from.version, to: refPlace(to) ?? to.version }, { from: a.library, to: b.library });

  await report(ctx, d);
  appendStepSummary(ctx, () => `${renderDiffMarkdown(d)}\n`);
  return 0;
}

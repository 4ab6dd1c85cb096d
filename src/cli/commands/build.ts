/**
 * `prompts build --env <env> [-o file] [--timestamp]`: a self-contained JSON bundle of everything
 * the environment pins (schemas/bundle.schema.json), for deployment without the repository.
 * All checks (pins exist, sha256 match, files valid, templates compile) happen before the write;
 * `-o` is written atomically.
 */
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { prepareOutput, writeOutput, displayPath } from '../output-file.js';
import { collectPinned } from '../../sdk/collect.js';
import { makeBundle, serializeBundle } from '../../sdk/build.js';
import type { BundleGit } from '../../sdk/bundle-format.js';
import { worktreeState } from '../../git/repo.js';
import { own } from '../../core/own.js';

/** HEAD's commit and whether any bundled file differs from it (untracked counts as dirty). */
export async function gitState(root: string, files: string[]): Promise<BundleGit> {
  return (await worktreeState(root, files.map((f) => path.relative(root, f) || '.'))) ?? { commit: null, dirty: false };
}

export interface BuildOptions {
  env: string;
  /** -o <file> */
  output?: string;
  timestamp?: boolean;
}

export async function run(ctx: CommandContext, _args: string[], opts: BuildOptions): Promise<number> {
  const env = opts.env;
  const target =
    typeof opts.output === 'string'
      ? prepareOutput(ctx.cwd, opts.output, { command: 'build', example: `${env}.bundle.json`, isOurs: isBundleText })
      : undefined;
  const output = target?.file;
  const reg = openRegistry(ctx.cwd);
  const pinned = collectPinned(reg, env, { verifyHistory: true });
  const gitInfo = await gitState(reg.root, pinned.paths);
  const bundle = makeBundle(pinned, gitInfo, opts.timestamp ? new Date().toISOString() : undefined);
  const text = serializeBundle(bundle);
  if (gitInfo.dirty) {
    ctx.warn(`warning: bundled files have uncommitted changes; the bundle records commit ${gitInfo.commit ?? '(none)'} with "dirty": true`);
  }
  if (pinned.budget) {
    // run() refuses to call a priced-blind model under a budget: say so now, not in production
    for (const e of pinned.entries.flatMap((x) => (x.rollout ? [x, x.rollout.candidate] : [x]))) {
      for (const [prov, model] of [[e.model.provider, e.model.name], [e.fallback?.provider, e.fallback?.model]] as const) {
        const p = prov ? own(pinned.providers, prov) : undefined;
        if (p && model && p.type !== 'echo' && !own(p.prices, model)) {
          ctx.warn(`warning: a budget is set, but provider "${prov}" has no price for model "${model}" (${e.id}): run() will refuse those calls; add it under prices:`);
        }
      }
    }
  }
  if (pinned.entries.length === 0) {
    ctx.warn(`warning: "${env}" pins no prompts, so the bundle is empty (promote first: "prompts promote <id> --env ${env}")`);
  }
  const summary = pinned.entries.map((e) => ({
    id: e.id,
    version: e.version,
    sha256: e.sha256,
    ...(e.rollout ? { rollout: { version: e.rollout.candidate.version, sha256: e.rollout.candidate.sha256, weight: e.rollout.weight } } : {}),
  }));
  if (output) {
    writeOutput(output, text);
    if (ctx.json) {
      writeJson(ctx, { ok: true, environment: env, output, commit: gitInfo.commit, dirty: gitInfo.dirty, bytes: Buffer.byteLength(text), prompts: summary });
    } else {
      ctx.info(`wrote ${displayPath(ctx.cwd, output)}: ${summary.length} prompt(s) pinned in ${env}${gitInfo.commit ? ` at ${gitInfo.commit.slice(0, 12)}` : ''}`);
    }
  } else {
    // the bundle is the data (and already one JSON document, with or without --json)
    ctx.stdout.write(text);
  }
  return 0;
}

/** -o replaces only an earlier bundle: a typo (-o prompts.config.yaml) must never destroy a user's file. */
function isBundleText(text: string): boolean {
  try {
    const v = JSON.parse(text) as { format?: unknown };
    return v !== null && typeof v === 'object' && v.format === 'promptrail-bundle';
  } catch {
    return false;
  }
}

/**
 * `prompts deps <ref>`: the resolved closure of a version (SPEC §14) — the versions it extends,
 * nearest first, and every partial it includes, as the tree of include names, each with the
 * sha256 a pin records for it under `deps`. Exit 1 when it does not resolve (the problem's
 * file:line:col), 2 for an unknown ref.
 */
import { writeJson, type CommandContext, type NoOptions } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { depsDrift, resolveVersion } from '../../registry/resolved.js';
import { depsMismatchWarning, refPlace, resolveRef } from '../../registry/resolve-ref.js';
import { includePairs } from '../../core/partial-rules.js';
import { short } from '../../core/integrity.js';

export async function run(ctx: CommandContext, args: string[], _opts: NoOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const ref = resolveRef(reg, args[0] ?? '');
  const rv = resolveVersion(reg, ref);
  const { resolved, resolution } = rv;
  const deps = resolved.deps;
  const drift = ref.via ? depsDrift(ref.pinnedDeps, deps) : [];
  if (drift.length) ctx.warn(depsMismatchWarning(ref, drift));
  // every include path from the root (the same pairing diff uses), one side only
  const tree = includePairs(resolved.library, resolved.library).map((p) => ({ path: p.path, partial: p.to!.key, sha256: deps[p.to!.key] ?? null }));
  const extendsChain = resolved.extends.map((k) => ({ version: k, sha256: deps[k] ?? null }));
  if (ctx.json) {
    writeJson(ctx, {
      id: ref.id,
      version: ref.version,
      kind: resolution.kind,
      sha256: rv.root.doc.sha256,
      via: refPlace(ref) ?? null,
      extends: extendsChain,
      uses: resolved.library.uses,
      includes: tree,
      deps,
      ...(ref.via ? { recorded: ref.pinnedDeps ?? {}, matches: drift.length === 0 } : {}),
    });
    return 0;
  }
  const c = await ctx.c();
  ctx.stdout.write(`${c.bold(`${ref.id}@${ref.version}`)}${resolution.kind === 'partial' ? ' (partial)' : ''}  ${short(rv.root.doc.sha256)}${ref.via ? `  (${refPlace(ref)})` : ''}\n`);
  for (const e of extendsChain) ctx.stdout.write(`  extends ${e.version}  ${e.sha256 ? short(e.sha256) : ''}\n`);
  for (const t of tree) {
    const names = t.path.split(' > ');
    const depth = names.length;
    const name = names[depth - 1]!;
    ctx.stdout.write(`${'  '.repeat(depth)}{{> ${name}}} ${t.partial}  ${t.sha256 ? short(t.sha256) : ''}\n`);
  }
  if (!extendsChain.length && !tree.length) ctx.info(`${ref.id}@${ref.version} includes no partials and extends nothing`);
  return 0;
}

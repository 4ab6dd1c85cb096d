/**
 * `prompts dependents <id>`: every version file that uses the partial `<id>` (or extends the
 * prompt `<id>`), at which version, how (its own `uses:`/`extends:`, or through another file of
 * its closure) and where each is pinned. Exit 0; 2 for an unknown or invalid id.
 */
import { UsageError } from '../../errors.js';
import { idProblem } from '../../core/ref.js';
import { dependentsOf } from '../../core/library.js';
import { writeJson, type CommandContext, type NoOptions } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { pinPlaces, scanLibrary } from '../../registry/library-scan.js';

export async function run(ctx: CommandContext, args: string[], _opts: NoOptions): Promise<number> {
  const id = args[0] ?? '';
  const problem = idProblem(id);
  if (problem) throw new UsageError(`invalid id "${id}": ${problem}`);
  const reg = openRegistry(ctx.cwd);
  reg.assertPromptExists(id);
  const scan = scanLibrary(reg);
  const list = dependentsOf(id, scan.facts, pinPlaces(reg));
  if (ctx.json) {
    writeJson(ctx, { id, dependents: list, skipped: scan.skipped.map((s) => s.key) });
    return 0;
  }
  if (scan.skipped.length) ctx.warn(`warning: ${scan.skipped.length} version file(s) could not be read or resolved and are left out (${scan.skipped.map((s) => s.key).join(', ')}); run "prompts validate"`);
  if (!list.length) {
    ctx.info(`no version file uses ${id}`);
    return 0;
  }
  const rows = list.map((d) => [`${d.id}@${d.version}`, `${id}@${d.uses}`, d.how === 'uses' ? `uses ${d.names.join(', ')}` : d.how, d.pinnedIn.join(', ') || '-']);
  const header = ['VERSION', 'USES', 'HOW', 'PINNED IN'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) ctx.stdout.write(`${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!))).join('  ')}\n`);
  return 0;
}

/**
 * `prompts outdated`: the uses of each prompt's (and partial's) latest version that are behind
 * the partial's latest version, with the command that moves it. Exit 0 either way (SPEC §14):
 * being behind is information, not a failure.
 */
import { outdatedUses } from '../../core/library.js';
import { writeJson, type CommandContext, type NoOptions } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { scanLibrary } from '../../registry/library-scan.js';

export async function run(ctx: CommandContext, _args: string[], _opts: NoOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const scan = scanLibrary(reg);
  const list = outdatedUses(scan.facts, (id) => reg.listVersions(id));
  if (ctx.json) {
    writeJson(ctx, { outdated: list.map((o) => ({ ...o, command: `prompts bump ${o.id} --use ${o.partial}@${o.latest}` })), skipped: scan.skipped.map((s) => s.key) });
    return 0;
  }
  if (scan.skipped.length) ctx.warn(`warning: ${scan.skipped.length} version file(s) could not be read or resolved and are left out (${scan.skipped.map((s) => s.key).join(', ')}); run "prompts validate"`);
  if (!list.length) {
    ctx.info('every latest version uses the latest version of its partials');
    return 0;
  }
  const rows = list.map((o) => [`${o.id}@${o.version}`, o.name, o.partial, o.current, o.latest]);
  const header = ['PROMPT', 'NAME', 'PARTIAL', 'USES', 'LATEST'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) ctx.stdout.write(`${r.map((x, i) => (i === r.length - 1 ? x : x.padEnd(widths[i]!))).join('  ')}\n`);
  ctx.info(`move one with "prompts bump <id> --use <partial>@<version>" (e.g. prompts bump ${list[0]!.id} --use ${list[0]!.partial}@${list[0]!.latest})`);
  return 0;
}

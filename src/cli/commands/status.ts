/**
 * `prompts status`: prompts × environments (pins, latest, drift). Exit 0 when every pin is
 * sound, 1 when a pin is broken (its file missing, its sha256 changed, a file of its deps
 * missing or changed, or an unknown prompt)
 * so CI can gate on it; drift (behind latest, not upstream) is reported but does not fail.
 */
import type { CommandContext, NoOptions } from '../ui.js';
import { writeJson } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { contentSha256, readRegularFile } from '../../registry/files.js';
import { buildStatus } from '../../core/status.js';
import { renderStatusText } from '../reporters/status-text.js';
import { own } from '../../core/own.js';

export async function run(ctx: CommandContext, _args: string[], _opts: NoOptions): Promise<number> {
  const registry = openRegistry(ctx.cwd);
  const prompts = registry.listPromptIds().map((id) => ({ id, versions: registry.listVersions(id) }));
  const environments = registry.config.environmentOrder.map((name) => ({
    name,
    requires: own(registry.config.environments, name)?.requires,
    file: readEnvSnapshot(registry, name).value,
  }));
  const report = buildStatus({
    prompts,
    environments,
    fileSha: (id, version) => {
      // never through a symbolic link, never a fifo or a device (they would hang or lie)
      const bytes = readRegularFile(registry.versionPath(id, version));
      return Buffer.isBuffer(bytes) ? contentSha256(bytes) : null;
    },
  });
  if (ctx.json) writeJson(ctx, { ok: report.broken === 0, ...report });
  else ctx.stdout.write(renderStatusText(report, await ctx.c()));
  return report.broken > 0 ? 1 : 0;
}

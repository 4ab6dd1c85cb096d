/**
 * `prompts show <ref>`: prints a version file's bytes exactly as stored (after the same checks
 * every command applies: the file must be a valid prompt). `--json` adds id, version, sha256,
 * the registry-relative file, the environment it came through, and the parsed prompt.
 */
import { writeJson, type CommandContext, type NoOptions } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { pinMismatchWarning, refPlace, resolveRef } from '../../registry/resolve-ref.js';
import { contentSha256 } from '../../registry/files.js';
import type { PromptFile } from '../../core/types.js';

export async function run(ctx: CommandContext, args: string[], _opts: NoOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const ref = resolveRef(reg, args[0] ?? '');
  const loaded = reg.loadYaml<PromptFile>(ref.file, 'prompt');
  const digest = contentSha256(loaded.decoded.bytes);
  if (ref.via && ref.pinnedSha256 && ref.pinnedSha256 !== digest) ctx.warn(pinMismatchWarning(ref, loaded.rel));
  if (ctx.json) {
    writeJson(ctx, { id: ref.id, version: ref.version, sha256: digest, file: loaded.rel, via: ref.via ?? null, prompt: loaded.value });
    return 0;
  }
  ctx.stdout.write(loaded.decoded.bytes.toString('utf8'));
  if (ref.via) ctx.info(`(${ref.id}@${refPlace(ref)} is ${ref.version})`);
  return 0;
}

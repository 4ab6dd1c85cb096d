/**
 * `prompts types [--env <env>] [-o prompts.d.ts]`: TypeScript types for every prompt's inputs
 * and outputs, as a module augmentation of promptrail's PromptMap. Default: each prompt's latest
 * version; with --env, the versions that environment pins (checked like `prompts build`).
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { writeFileAtomic } from '../../registry/files.js';
import { collectPinned } from '../../sdk/collect.js';
import { generateTypes, type TypeSource } from '../../sdk/types-gen.js';

export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const output = typeof opts.output === 'string' ? path.resolve(ctx.cwd, opts.output) : undefined;
  if (output && fs.existsSync(output) && fs.statSync(output).isDirectory()) {
    throw new UsageError(`-o ${String(opts.output)} is a directory; give a file name, e.g. ${path.join(String(opts.output), 'prompts.d.ts')}`);
  }
  const reg = openRegistry(ctx.cwd);
  const sources: TypeSource[] = [];
  let origin: string;
  if (typeof opts.env === 'string') {
    const pinned = collectPinned(reg, opts.env);
    pinned.entries.forEach((e, i) => {
      sources.push({ id: e.id, version: e.version, description: pinned.files[i]?.description, inputs: e.inputs, output: e.output });
    });
    origin = `the versions pinned in environment "${opts.env}"`;
  } else {
    for (const id of reg.listPromptIds()) {
      const version = reg.latest(id);
      if (!version) continue;
      const p = reg.loadPrompt(id, version).value;
      sources.push({ id, version, description: p.description, inputs: p.inputs ?? null, output: p.output ?? null });
    }
    origin = "each prompt's latest version";
  }
  const generated = generateTypes(sources, origin);
  if (output) {
    writeOutput(output, generated.text);
    if (ctx.json) writeJson(ctx, { ok: true, output, prompts: generated.prompts });
    else ctx.info(`wrote ${displayPath(ctx.cwd, output)}: types for ${generated.prompts.length} prompt(s) from ${origin}`);
  } else if (ctx.json) {
    writeJson(ctx, { ok: true, output: null, prompts: generated.prompts, types: generated.text });
  } else {
    ctx.stdout.write(generated.text);
  }
  return 0;
}

/** `output` relative to cwd when it is below it, else absolute. */
function displayPath(cwd: string, output: string): string {
  const rel = path.relative(cwd, output);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : output;
}

/** Atomic write of -o; an unwritable path is a usage error (exit 2), not a crash. */
function writeOutput(file: string, text: string): void {
  try {
    writeFileAtomic(file, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`cannot write ${file} (${code})`, { hint: 'check that its folder can be created and written' });
  }
}

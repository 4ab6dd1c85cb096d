/**
 * loadRegistry: the prompts an environment pins, read from the registry on disk. Each pinned
 * file's bytes are checked against the environment file's sha256 (IntegrityError otherwise).
 * The registry code is imported on call so `import 'promptrail'` stays light for bundle users.
 */
import type { EntryFields } from './bundle-format.js';
import { makePromptSet } from './prompt-set.js';
import type { LoadRegistryOptions, PromptSet } from './types.js';

export async function loadRegistry(opts: LoadRegistryOptions): Promise<PromptSet> {
  const [{ openRegistry }, { collectPinned }] = await Promise.all([import('../registry/registry.js'), import('./collect.js')]);
  if (!opts || typeof opts.env !== 'string') {
    const { UsageError } = await import('../errors.js');
    throw new UsageError('loadRegistry needs { env }, e.g. loadRegistry({ env: "production" })');
  }
  const reg = openRegistry(opts.cwd ?? process.cwd());
  const pinned = collectPinned(reg, opts.env, { compileCheck: false });
  const entries = new Map<string, EntryFields>();
  for (const e of pinned.entries) {
    entries.set(e.id, { id: e.id, version: e.version, sha256: e.sha256, model: e.model, inputs: e.inputs, output: e.output, messages: e.messages });
  }
  return makePromptSet({ env: opts.env, origin: 'registry', commit: null, where: `environment "${opts.env}"` }, entries);
}

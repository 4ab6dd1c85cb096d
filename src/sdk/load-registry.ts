/**
 * loadRegistry: the prompts an environment pins (with their running rollouts' candidates), read
 * from the registry on disk. Each pinned file's bytes are checked against the environment file's
 * sha256 (IntegrityError otherwise).
 * The registry code is imported on call so `import 'promptrail'` stays light for bundle users.
 */
import type { EntryFields } from './bundle-format.js';
import { makePromptSet, type RunContext } from './prompt-set.js';
import type { LoadRegistryOptions, PromptSet } from './types.js';

export async function loadRegistry(opts: LoadRegistryOptions): Promise<PromptSet> {
  const [{ openRegistry }, { collectPinned }, { defaultBudgetStore }, { entryFields }] = await Promise.all([import('../registry/registry.js'), import('./collect.js'), import('./budget.js'), import('./bundle-format.js')]);
  if (!opts || typeof opts.env !== 'string') {
    const { UsageError } = await import('../errors.js');
    throw new UsageError('loadRegistry needs { env }, e.g. loadRegistry({ env: "production" })');
  }
  const reg = openRegistry(opts.cwd ?? process.cwd());
  const pinned = collectPinned(reg, opts.env, { compileCheck: false });
  const entries = new Map<string, EntryFields>();
  for (const e of pinned.entries) {
    const fields: EntryFields = entryFields(e);
    // a running rollout: its candidate's file was checked like the pin's (exists, sha256 recorded, deps)
    if (e.rollout) fields.rollout = { weight: e.rollout.weight, salt: e.rollout.salt, candidate: entryFields(e.rollout.candidate) };
    entries.set(e.id, fields);
  }
  const where = `environment "${opts.env}"`;
  const ctx: RunContext = {
    env: opts.env,
    providers: pinned.providers,
    budget: pinned.budget,
    budgetStore: opts.budgetStore ?? defaultBudgetStore(),
    processEnv: opts.processEnv ?? process.env,
    where,
  };
  return makePromptSet({ env: opts.env, origin: 'registry', commit: null, where }, entries, undefined, ctx);
}

/** The trusted provider config of `--base <rev>` / PROMPTRAIL_TRUSTED_REV, for eval and a gated promote. */
import type { CommandContext } from './ui.js';
import type { Registry } from '../registry/registry.js';

/**
 * With `--base <rev>` or PROMPTRAIL_TRUSTED_REV: the registry whose providers' endpoints and key
 * variables are `<rev>`'s (eval/trusted.ts), each difference warned about. Without: as it is.
 */
export async function trustedRegistry(ctx: CommandContext, registry: Registry, flag: string | undefined): Promise<Registry> {
  const { trustedRevOf, withTrustedProviders } = await import('../eval/trusted.js');
  const trust = trustedRevOf(flag, ctx.env);
  if (!trust) return registry;
  const t = await withTrustedProviders(registry, trust.rev, trust.source);
  for (const n of t.notes) ctx.warn(`warning: ${n}`);
  if (ctx.verbose) ctx.info(`provider endpoints and key variables from ${trust.rev} (${trust.source})`);
  return t.registry;
}


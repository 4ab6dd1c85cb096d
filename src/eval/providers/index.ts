/**
 * Eval's provider setup: looks a provider up in the registry's config and checks its key up
 * front (a missing key is exit 2 before the first request). The providers themselves are the
 * shared ones in src/providers/, the same code the runtime SDK calls.
 */
import { UsageError } from '../../errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { ProviderConfig } from '../../core/types.js';
import type { Registry } from '../../registry/registry.js';
import { createProvider, providerSecrets } from '../../providers/index.js';
import { ProviderError, type Provider, type Usage } from '../../providers/types.js';
import { own } from '../../core/own.js';

export interface ProviderSetup {
  provider: Provider;
  config: ProviderConfig;
  /** the key's value, only so error texts can be redacted; never written anywhere */
  secrets: string[];
}

/**
 * Looks up provider `name` in the config (the name `echo` works without an entry). A missing
 * API key is a UsageError naming the variable — unless `requireKey` is false (replay), where
 * the provider is never called and a call would fail clearly instead.
 */
export function setupProvider(registry: Registry, name: string, env: NodeJS.ProcessEnv, opts: { timeoutMs: number; requireKey: boolean }): ProviderSetup {
  const refused = own(registry.trust?.refused, name);
  if (refused !== undefined) throw new UsageError(refused, { location: { file: 'prompts.config.yaml' } });
  const providers = registry.config.providers;
  let cfg = own(providers, name);
  if (!cfg && name === 'echo') cfg = { type: 'echo' };
  if (!cfg) {
    const names = Object.keys(providers);
    const s = didYouMean(name, names);
    throw new UsageError(`unknown provider "${name}"${s ? `; did you mean "${s}"?` : ''}`, {
      location: { file: 'prompts.config.yaml' },
      hint: names.length ? `providers in prompts.config.yaml: ${names.join(', ')}` : 'add it under providers: in prompts.config.yaml',
    });
  }
  const provider = createProvider(name, cfg, { env, timeoutMs: opts.timeoutMs });
  if (cfg.type === 'echo') return { provider, config: cfg, secrets: [] };
  if (!cfg.api_key_env) return { provider, config: cfg, secrets: providerSecrets(cfg, env) };
  const key = env[cfg.api_key_env];
  if ((key === undefined || key === '') && opts.requireKey) {
    throw new UsageError(`provider "${name}" needs an API key, but the environment variable ${cfg.api_key_env} is not set`, {
      hint: `export ${cfg.api_key_env}=<your key>, or run with --replay to use recorded responses`,
    });
  }
  return { provider, config: cfg, secrets: providerSecrets(cfg, env) };
}

export { costOf } from '../../providers/cost.js';
export { ProviderError };
export type { Provider, Usage };

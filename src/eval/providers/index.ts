/** Builds a provider from its config entry; the API key is read here, from the environment only. */
import { UsageError } from '../../errors.js';
import { didYouMean } from '../../core/suggest.js';
import type { ProviderConfig, ModelPrice } from '../../core/types.js';
import type { Registry } from '../../registry/registry.js';
import { anthropicProvider } from './anthropic.js';
import { echoProvider } from './echo.js';
import { openaiProvider } from './openai.js';
import { ProviderError, type Provider, type Usage } from './types.js';

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
  const providers = registry.config.providers;
  let cfg = providers[name];
  if (!cfg && name === 'echo') cfg = { type: 'echo' };
  if (!cfg) {
    const names = Object.keys(providers);
    const s = didYouMean(name, names);
    throw new UsageError(`unknown provider "${name}"${s ? `; did you mean "${s}"?` : ''}`, {
      location: { file: 'prompts.config.yaml' },
      hint: names.length ? `providers in prompts.config.yaml: ${names.join(', ')}` : 'add it under providers: in prompts.config.yaml',
    });
  }
  if (cfg.type === 'echo') return { provider: echoProvider(name), config: cfg, secrets: [] };
  let apiKey: string | undefined;
  let missingKey: string | undefined;
  if (cfg.api_key_env) {
    const v = env[cfg.api_key_env];
    if (v === undefined || v === '') missingKey = cfg.api_key_env;
    else apiKey = v;
  }
  if (missingKey && opts.requireKey) {
    throw new UsageError(`provider "${name}" needs an API key, but the environment variable ${missingKey} is not set`, {
      hint: `export ${missingKey}=<your key>, or run with --replay to use recorded responses`,
    });
  }
  const timeoutMs = cfg.timeout_ms ?? opts.timeoutMs;
  const o = { name, baseUrl: cfg.base_url, apiKey, headers: cfg.headers, timeoutMs };
  const provider = cfg.type === 'anthropic' ? anthropicProvider(o) : openaiProvider(o);
  if (missingKey) {
    const key = missingKey;
    return {
      config: cfg,
      secrets: [],
      provider: {
        ...provider,
        complete: () => Promise.reject(new ProviderError(`provider "${name}" needs an API key: the environment variable ${key} is not set`, { retryable: false, fatal: true })),
      },
    };
  }
  return { provider, config: cfg, secrets: apiKey ? [apiKey] : [] };
}

/** Cost in USD from the provider's price table, or null when the model has no price. */
export function costOf(usage: Usage | null, prices: Record<string, ModelPrice> | undefined, model: string, type: ProviderConfig['type']): number | null {
  if (type === 'echo') return 0;
  if (!usage) return null;
  const p = prices?.[model];
  if (!p) return null;
  return (usage.input * p.input_per_1m + usage.output * p.output_per_1m) / 1_000_000;
}

export { ProviderError };
export type { Provider, Usage };

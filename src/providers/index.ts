/**
 * Providers built from their config entry, shared by `prompts eval` and the runtime SDK. The API
 * key is read from the environment variable the config names, when each request is made, and
 * never stored anywhere else.
 */
import type { ProviderConfig } from '../core/types.js';
import { anthropicProvider } from './anthropic.js';
import { echoProvider } from './echo.js';
import { openaiProvider } from './openai.js';
import { ProviderError, type Provider } from './types.js';
import { splitUserinfo } from './http.js';

/** What must never be printed or stored for a provider entry: its key's value and its base_url's userinfo. */
export function providerSecrets(cfg: ProviderConfig, env: NodeJS.ProcessEnv): string[] {
  const key = cfg.api_key_env ? env[cfg.api_key_env] : undefined;
  return [...(key ? [key] : []), ...(cfg.base_url ? splitUserinfo(cfg.base_url).secrets : [])];
}

export const DEFAULT_TIMEOUT_MS = 60_000;

export interface CreateProviderOptions {
  /** where keys are read from at call time (default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** used when the config has no timeout_ms */
  timeoutMs?: number;
}

/**
 * A provider for config entry `cfg` named `name`. A key variable that is unset when a request is
 * made fails that request with a fatal ProviderError naming the variable (never the value).
 */
export function createProvider(name: string, cfg: ProviderConfig, opts: CreateProviderOptions = {}): Provider {
  if (cfg.type === 'echo') return echoProvider(name);
  const env = opts.env ?? process.env;
  const keyEnv = cfg.api_key_env;
  const timeoutMs = cfg.timeout_ms ?? opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // userinfo in base_url is taken out of the URL (fetched, cached, shown without it) and sent as Basic auth
  const userinfo = cfg.base_url !== undefined ? splitUserinfo(cfg.base_url) : undefined;
  const headers = userinfo?.basic !== undefined && !Object.keys(cfg.headers ?? {}).some((h) => h.toLowerCase() === 'authorization') ? { authorization: `Basic ${userinfo.basic}`, ...(cfg.headers ?? {}) } : cfg.headers;
  const o = { name, baseUrl: userinfo?.url, apiKey: keyEnv ? () => env[keyEnv] : undefined, headers, timeoutMs, secrets: userinfo?.secrets };
  const provider = cfg.type === 'anthropic' ? anthropicProvider(o) : openaiProvider(o);
  if (!keyEnv) return provider;
  return {
    ...provider,
    complete(req) {
      const v = env[keyEnv];
      if (v === undefined || v === '') {
        return Promise.reject(new ProviderError(`provider "${name}" needs an API key: the environment variable ${keyEnv} is not set`, { retryable: false, fatal: true, kind: 'config' }));
      }
      return provider.complete(req);
    },
  };
}

export { ProviderError };
export type { Provider };
export type { Usage, Completion, CompletionRequest } from './types.js';

/** OpenAI Chat Completions (`POST {base_url}/chat/completions`), for OpenAI and every compatible server. */
import { postJson } from './http.js';
import { ProviderError, type Completion, type CompletionRequest, type Provider, type Usage } from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

interface ChatResponse {
  id?: unknown;
  model?: unknown;
  choices?: { message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown };
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

export function openaiUsage(u: ChatResponse['usage']): Usage | null {
  if (!u) return null;
  const input = num(u.prompt_tokens) ?? 0;
  const output = num(u.completion_tokens) ?? 0;
  return { input, output, total: num(u.total_tokens) ?? input + output };
}

export interface HttpProviderOptions {
  name: string;
  baseUrl?: string;
  /**
   * The API key, read when each request is made (the runtime reads the environment variable at
   * call time, so a rotated key is picked up without a restart). Undefined: no key is sent.
   */
  apiKey?: () => string | undefined;
  headers?: Record<string, string>;
  timeoutMs: number;
}

/** The key for this request, and the secrets to redact from anything the server sends back. */
export function keyFor(o: HttpProviderOptions): { key: string | undefined; secrets: string[] } {
  const key = o.apiKey?.();
  return { key: key === '' ? undefined : key, secrets: key ? [key] : [] };
}

export function openaiProvider(o: HttpProviderOptions): Provider {
  const baseUrl = (o.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${baseUrl}/chat/completions`;
  const label = `provider "${o.name}"`;
  return {
    name: o.name,
    type: 'openai',
    baseUrl,
    remote: true,
    async complete(req: CompletionRequest): Promise<Completion> {
      const { key, secrets } = keyFor(o);
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (key) headers.authorization = `Bearer ${key}`;
      const body = { ...req.parameters, model: req.model, messages: req.messages, stream: false };
      const json = (await postJson(url, headers, body, { timeoutMs: o.timeoutMs, signal: req.signal, secrets, label })) as ChatResponse;
      const content = json?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        throw new ProviderError(`${label}: the response has no choices[0].message.content`, { retryable: false, kind: 'format' });
      }
      const c: Completion = { output: content, usage: openaiUsage(json.usage) };
      if (typeof json.model === 'string') c.responseModel = json.model;
      if (typeof json.id === 'string') c.responseId = json.id;
      const reasons = json.choices!.map((ch) => ch?.finish_reason).filter((r): r is string => typeof r === 'string');
      if (reasons.length) c.finishReasons = reasons;
      return c;
    },
  };
}

/** OpenAI Chat Completions (`POST {base_url}/chat/completions`), for OpenAI and every compatible server. */
import { postJson } from '../http.js';
import { ProviderError, type Completion, type CompletionRequest, type Provider, type Usage } from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

interface ChatResponse {
  choices?: { message?: { content?: unknown } }[];
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
  apiKey?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
}

export function openaiProvider(o: HttpProviderOptions): Provider {
  const baseUrl = (o.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${baseUrl}/chat/completions`;
  const secrets = o.apiKey ? [o.apiKey] : [];
  const label = `provider "${o.name}"`;
  return {
    name: o.name,
    type: 'openai',
    baseUrl,
    remote: true,
    async complete(req: CompletionRequest): Promise<Completion> {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
      const body = { ...req.parameters, model: req.model, messages: req.messages, stream: false };
      const json = (await postJson(url, headers, body, { timeoutMs: o.timeoutMs, signal: req.signal, secrets, label })) as ChatResponse;
      const content = json?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        throw new ProviderError(`${label}: the response has no choices[0].message.content`, { retryable: false, kind: 'format' });
      }
      return { output: content, usage: openaiUsage(json.usage) };
    },
  };
}

/** OpenAI Chat Completions (`POST {base_url}/chat/completions`), for OpenAI and every compatible server. */
import { postJson } from './http.js';
import { ProviderError, type Completion, type CompletionRequest, type Provider, type Usage } from './types.js';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

interface ChatResponse {
  id?: unknown;
  model?: unknown;
  choices?: { message?: { content?: unknown; refusal?: unknown; tool_calls?: unknown }; finish_reason?: unknown }[];
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
  /** more to redact from what the server sends back (base_url userinfo) */
  secrets?: readonly string[];
}

/** The key for this request, and the secrets to redact from anything the server sends back. */
export function keyFor(o: HttpProviderOptions): { key: string | undefined; secrets: string[] } {
  const key = o.apiKey?.();
  return { key: key === '' ? undefined : key, secrets: [...(key ? [key] : []), ...(o.secrets ?? [])] };
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
      const c: Completion = { ...openaiReply(json, label), usage: openaiUsage(json?.usage) };
      if (typeof json.model === 'string') c.responseModel = json.model;
      if (typeof json.id === 'string') c.responseId = json.id;
      const reasons = json.choices!.map((ch) => ch?.finish_reason).filter((r): r is string => typeof r === 'string');
      if (reasons.length) c.finishReasons = reasons;
      return c;
    },
  };
}

/** Tool calls as the output of a reply without text: `[{"name","arguments"}]`, arguments parsed when they are JSON. */
export function toolCallsText(calls: { name: unknown; input: unknown }[]): string {
  return JSON.stringify(
    calls.map((t) => {
      let args = t.input;
      if (typeof args === 'string') {
        try {
          args = JSON.parse(args) as unknown;
        } catch {}
      }
      return { name: typeof t.name === 'string' ? t.name : null, arguments: args ?? null };
    }),
  );
}

/**
 * The first choice of a Chat Completions reply as an output: its text; its refusal (`content:
 * null` with `refusal`, marked refused); its tool calls (`content: null` with `tool_calls`);
 * an empty reply. A reply without choices, or cut by the content filter without text, is an
 * error that says so (not retryable: the same request gets the same answer).
 */
export function openaiReply(json: ChatResponse | null | undefined, label: string): Pick<Completion, 'output' | 'reply'> {
  const choices = json?.choices;
  if (!Array.isArray(choices)) throw new ProviderError(`${label}: the reply has no "choices" (not a chat completion)`, { retryable: false, kind: 'format' });
  if (choices.length === 0) throw new ProviderError(`${label}: the reply has no choices ("choices": []): the provider generated nothing for this request`, { retryable: false, kind: 'format' });
  const ch = choices[0];
  const m = ch?.message;
  const finish = typeof ch?.finish_reason === 'string' ? ch.finish_reason : null;
  if (typeof m?.content === 'string' && m.content !== '') return { output: m.content };
  if (typeof m?.refusal === 'string' && m.refusal !== '') return { output: m.refusal, reply: 'refusal' };
  if (Array.isArray(m?.tool_calls) && m.tool_calls.length) {
    const calls = (m.tool_calls as { function?: { name?: unknown; arguments?: unknown } }[]).map((t) => ({ name: t?.function?.name, input: t?.function?.arguments }));
    return { output: toolCallsText(calls), reply: 'tool_calls' };
  }
  if (finish === 'content_filter') throw new ProviderError(`${label}: the provider's content filter withheld the reply (finish_reason: content_filter)`, { retryable: false, kind: 'format' });
  if (typeof m?.content === 'string' || m?.content === null) return { output: '', reply: 'empty' };
  throw new ProviderError(`${label}: the reply's first choice has no message${finish ? ` (finish_reason: ${finish})` : ''}`, { retryable: false, kind: 'format' });
}

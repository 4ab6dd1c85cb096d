/** Anthropic Messages API (`POST {base_url}/messages`, `x-api-key`, `anthropic-version`). */
import { postJson } from './http.js';
import { keyFor, toolCallsText, type HttpProviderOptions } from './openai.js';
import { ProviderError, type Completion, type CompletionRequest, type Provider } from './types.js';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com/v1';
export const ANTHROPIC_VERSION = '2023-06-01';
/** The Messages API requires max_tokens; used when the version's parameters have none. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

interface MessagesResponse {
  id?: unknown;
  model?: unknown;
  stop_reason?: unknown;
  content?: { type?: string; text?: unknown }[];
  usage?: { input_tokens?: unknown; output_tokens?: unknown };
}

export function anthropicProvider(o: HttpProviderOptions): Provider {
  const baseUrl = (o.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const url = `${baseUrl}/messages`;
  const label = `provider "${o.name}"`;
  return {
    name: o.name,
    type: 'anthropic',
    baseUrl,
    remote: true,
    async complete(req: CompletionRequest): Promise<Completion> {
      const { key, secrets } = keyFor(o);
      const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...(o.headers ?? {}) };
      if (key) headers['x-api-key'] = key;
      // system messages go to the top-level `system`; the rest stay in order
      const system = req.messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n\n');
      const messages = req.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content }));
      const body: Record<string, unknown> = { max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS, ...req.parameters, model: req.model, messages };
      if (system) body.system = system;
      const json = (await postJson(url, headers, body, { timeoutMs: o.timeoutMs, signal: req.signal, secrets, label })) as MessagesResponse;
      if (!Array.isArray(json?.content)) {
        throw new ProviderError(`${label}: the response has no content array`, { retryable: false, kind: 'format' });
      }
      const output = json.content.filter((b) => b?.type === 'text' && typeof b.text === 'string').map((b) => b.text as string).join('');
      const tools = json.content.filter((b) => b?.type === 'tool_use');
      const u = json.usage;
      const input = typeof u?.input_tokens === 'number' ? u.input_tokens : 0;
      const out = typeof u?.output_tokens === 'number' ? u.output_tokens : 0;
      const c: Completion = { output, usage: u ? { input, output: out, total: input + out } : null };
      // tool_use blocks only: the calls are the output; no text at all: an empty reply; stop_reason refusal: refused
      if (output === '' && tools.length) {
        c.output = toolCallsText(tools.map((b) => ({ name: (b as { name?: unknown }).name, input: (b as { input?: unknown }).input })));
        c.reply = 'tool_calls';
      } else if (json.stop_reason === 'refusal') c.reply = 'refusal';
      else if (output === '') c.reply = 'empty';
      if (typeof json.model === 'string') c.responseModel = json.model;
      if (typeof json.id === 'string') c.responseId = json.id;
      if (typeof json.stop_reason === 'string') c.finishReasons = [json.stop_reason];
      return c;
    },
  };
}

/**
 * The offline `echo` provider: returns the rendered prompt. Deterministic, zero latency, no
 * network; token counts are an estimate (characters / 4, rounded up) so token assertions work.
 */
import type { Message } from '../core/types.js';
import { estimateTokens } from './cost.js';
import type { Completion, CompletionRequest, Provider } from './types.js';

/** One message: its content verbatim. Several: "role: content" blocks separated by a blank line. */
export function echoText(messages: readonly Message[]): string {
  if (messages.length === 1) return messages[0]!.content;
  return messages.map((m) => `${m.role}: ${m.content}`).join('\n\n');
}

export function echoProvider(name: string): Provider {
  return {
    name,
    type: 'echo',
    baseUrl: '',
    remote: false,
    complete(req: CompletionRequest): Promise<Completion> {
      const output = echoText(req.messages);
      let inChars = 0;
      for (const m of req.messages) inChars += m.content.length;
      const input = Math.ceil(inChars / 4);
      const out = estimateTokens(output);
      return Promise.resolve({ output, usage: { input, output: out, total: input + out }, responseModel: req.model });
    },
  };
}

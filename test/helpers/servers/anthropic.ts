/** An Anthropic Messages API server on 127.0.0.1 (see fake-llm.ts). */
import { startFakeServer, type FakeServer, type FakeServerOptions } from './fake-llm.js';

export function startAnthropicServer(opts: Omit<FakeServerOptions, 'kind'> = {}): Promise<FakeServer> {
  return startFakeServer({ ...opts, kind: 'anthropic' });
}
export type { FakeServer, Behavior, RecordedRequest } from './fake-llm.js';

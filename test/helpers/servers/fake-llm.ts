/**
 * Local OpenAI-compatible and Anthropic-compatible HTTP servers on 127.0.0.1 (ephemeral port)
 * with faithful wire formats: chat.completion / message bodies with usage, the providers' error
 * bodies, 429 with Retry-After, 5xx, slow responses, malformed JSON and connection resets.
 * Tests script behaviour per request; the server records every request and the peak number of
 * requests in flight.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behavior =
  | { type: 'ok'; content?: string; usage?: { input: number; output: number } | null; delayMs?: number }
  | { type: 'status'; status: number; message?: string; headers?: Record<string, string>; delayMs?: number; rawBody?: string }
  | { type: 'malformed'; delayMs?: number }
  | { type: 'reset'; delayMs?: number }
  | { type: 'hang' }
  /** a 200 whose body is exactly this (valid but unusual replies: refusals, tool calls only, no choices) */
  | { type: 'reply'; body: unknown; delayMs?: number };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown> & { messages?: { role: string; content: string }[]; model?: string; system?: string };
}

export interface FakeServerOptions {
  kind: 'openai' | 'anthropic';
  /** when set, requests must carry this key (Bearer / x-api-key) or get 401 with a body echoing what was sent */
  apiKey?: string;
  /** models the server knows; others get 404 model_not_found (default: any) */
  models?: string[];
  /** added to every response */
  latencyMs?: number;
  /** decides each response after the script is used up; default: echo the last message */
  respond?: (req: RecordedRequest, n: number) => Behavior;
}

export interface FakeServer {
  /** base_url for the provider config, e.g. http://127.0.0.1:1234/v1 */
  url: string;
  requests: RecordedRequest[];
  /** consumed first, one per request */
  script: Behavior[];
  maxInFlight: number;
  inFlight: number;
  close(): Promise<void>;
}

function lastContent(body: RecordedRequest['body']): string {
  const m = body.messages;
  return Array.isArray(m) && m.length ? String(m[m.length - 1]!.content) : '';
}

function errorBody(kind: FakeServerOptions['kind'], status: number, message: string): unknown {
  if (kind === 'anthropic') {
    const type = status === 401 ? 'authentication_error' : status === 403 ? 'permission_error' : status === 404 ? 'not_found_error' : status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    return { type: 'error', error: { type, message } };
  }
  const type = status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return { error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : status === 404 ? 'model_not_found' : null } };
}

export async function startFakeServer(opts: FakeServerOptions): Promise<FakeServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: FakeServer = {
    url: '',
    requests: [],
    script: [],
    maxInFlight: 0,
    inFlight: 0,
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      let done = false;
      const finish = (): void => {
        if (!done) {
          done = true;
          state.inFlight--;
        }
      };
      res.on('close', finish);
      let body: RecordedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedRequest['body'];
      } catch {}
      const rec: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      state.requests.push(rec);
      const n = state.requests.length;
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
      };
      const expectedPath = opts.kind === 'openai' ? '/v1/chat/completions' : '/v1/messages';
      if (req.method !== 'POST' || req.url !== expectedPath) {
        send(404, errorBody(opts.kind, 404, `Unknown request URL: ${req.method} ${req.url}`));
        return;
      }
      // authentication, echoing what was sent like real providers partially do (the client must redact it)
      if (opts.apiKey !== undefined) {
        const got = opts.kind === 'openai' ? String(req.headers.authorization ?? '').replace(/^Bearer /, '') : String(req.headers['x-api-key'] ?? '');
        if (got !== opts.apiKey) {
          send(401, errorBody(opts.kind, 401, `Incorrect API key provided: ${got}. Headers: ${JSON.stringify(req.headers)}`));
          return;
        }
      }
      if (opts.kind === 'anthropic' && !req.headers['anthropic-version']) {
        send(400, errorBody('anthropic', 400, 'anthropic-version: header is required'));
        return;
      }
      if (opts.kind === 'anthropic' && typeof body.max_tokens !== 'number') {
        send(400, errorBody('anthropic', 400, 'max_tokens: Field required'));
        return;
      }
      if (opts.models && !opts.models.includes(String(body.model))) {
        send(404, errorBody(opts.kind, 404, `The model \`${String(body.model)}\` does not exist or you do not have access to it.`));
        return;
      }
      const behavior: Behavior = state.script.shift() ?? opts.respond?.(rec, n) ?? { type: 'ok' };
      if (behavior.type === 'hang') return;
      const delay = (opts.latencyMs ?? 0) + (('delayMs' in behavior && behavior.delayMs) || 0);
      const act = (): void => {
        switch (behavior.type) {
          case 'reset':
            req.socket.destroy();
            return;
          case 'reply':
            send(200, behavior.body);
            return;
          case 'malformed':
            send(200, '{"id": "chatcmpl-1", "choices": [ {"message": ');
            return;
          case 'status':
            if (behavior.rawBody !== undefined) send(behavior.status, behavior.rawBody, behavior.headers);
            else send(behavior.status, errorBody(opts.kind, behavior.status, behavior.message ?? `error ${behavior.status}`), behavior.headers);
            return;
          case 'ok': {
            const content = behavior.content ?? lastContent(body);
            const usage = behavior.usage === undefined ? { input: 10 + n % 3, output: Math.max(1, Math.ceil(content.length / 4)) } : behavior.usage;
            if (opts.kind === 'openai') {
              send(200, {
                id: `chatcmpl-${n}`,
                object: 'chat.completion',
                created: 1763800000,
                model: body.model,
                choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
                ...(usage ? { usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } } : {}),
                system_fingerprint: 'fp_test',
              });
            } else {
              send(200, {
                id: `msg_${n}`,
                type: 'message',
                role: 'assistant',
                model: body.model,
                content: [{ type: 'text', text: content }],
                stop_reason: 'end_turn',
                stop_sequence: null,
                ...(usage ? { usage: { input_tokens: usage.input, output_tokens: usage.output } } : {}),
              });
            }
            return;
          }
        }
      };
      if (delay > 0) setTimeout(act, delay);
      else act();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${port}/v1`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}

/** A number in [0, 1) from a string (FNV-1a): seeded, so chaos does not depend on request interleaving. */
function unit(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // murmur3's finalizer: FNV alone barely moves the high bits when only the last character differs
  h = Math.imul((h ^ (h >>> 16)) >>> 0, 0x85ebca6b) >>> 0;
  h = Math.imul((h ^ (h >>> 13)) >>> 0, 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return h / 2 ** 32;
}

export interface Chaos {
  respond: (req: RecordedRequest, n: number) => Behavior;
  counts: { ok: number; 429: number; 500: number };
}

/**
 * Faults by rate: each attempt of a call (identified by its last message) gets a 429 (with
 * `retry-after-ms`) with probability `p429`, a 500 with `p500`, else a normal reply. The draw
 * hashes (seed, message, attempt number), so a run is reproducible whatever the concurrency.
 */
export function chaos(opts: { p429: number; p500: number; seed?: number; retryAfterMs?: number }): Chaos {
  const attempts = new Map<string, number>();
  const counts = { ok: 0, 429: 0, 500: 0 };
  return {
    counts,
    respond(req) {
      const k = lastContent(req.body);
      const a = (attempts.get(k) ?? 0) + 1;
      attempts.set(k, a);
      const x = unit(`${opts.seed ?? 1}:${k}:${a}`);
      if (x < opts.p429) {
        counts[429]++;
        return { type: 'status', status: 429, message: 'Rate limit reached for requests', headers: { 'retry-after-ms': String(opts.retryAfterMs ?? 1) } };
      }
      if (x < opts.p429 + opts.p500) {
        counts[500]++;
        return { type: 'status', status: 500, message: 'The server had an error while processing your request.' };
      }
      counts.ok++;
      return { type: 'ok' };
    },
  };
}
